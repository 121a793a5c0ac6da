import { corrupt } from './errors.js';
import { OUT_PIECE, WINDOW } from './limits.js';

// Where the decoder stands inside a sequence: token, [literal length bytes], literals,
// offset (2 bytes, little-endian), [match length bytes], match copy. Input may stop anywhere.
// LENGTH is either length: `run` says which run (LITERALS or MATCH) it is the length of.
const TOKEN = 0;
const LENGTH = 1;
const LITERALS = 2;
const OFFSET_LOW = 3;
const OFFSET_HIGH = 4;
const MATCH = 5;

/** Below this many bytes a plain loop beats `set`/`copyWithin` (their call costs more than the copy). */
const SHORT_COPY = 32;

/**
 * One raw LZ4 block, decoded incrementally: input may arrive in pieces of any size (even one
 * byte) and output leaves in pieces, so neither the block nor its output need be held whole.
 *
 * The first buffer receives output from its start (there is no history yet); it holds OUT_PIECE
 * bytes, or exactly the output size when the caller knows it, so a whole block comes out as one
 * piece with no copy. Later buffers are WINDOW + OUT_PIECE bytes: the first WINDOW bytes hold the
 * history matches may reach back into, the rest receives new output. A full buffer is handed out
 * as a view, and the next decode starts a fresh one with a copy of the last WINDOW bytes, so a
 * piece handed out is never written again.
 */
export class Lz4BlockDecoder {
  private buf: Uint8Array;
  /** Where output byte `flushed` sits in `buf` (0 in the first buffer, WINDOW after). */
  private origin = 0;
  /** Next write position in `buf`. */
  private pos = 0;
  /** Start of the output in `buf` not yet handed out. */
  private from = 0;
  /** Bytes of output before `buf[origin]`: what earlier buffers held. */
  private flushed = 0;
  private state = TOKEN;
  /** The run (LITERALS or MATCH) whose length is being read or produced. */
  private run = LITERALS;
  /** Match length nibble of the current token. */
  private nibble = 0;
  /** Literal or match bytes still to produce (during LENGTH: the length summed so far). */
  private remaining = 0;
  private offset = 0;
  private inputBytes = 0;
  /** Where the last match started and ended in the output (-1: no match yet), for the end-of-block rules. */
  private lastMatchStart = -1;
  private lastMatchEnd = -1;

  /** `outputSize`: the block's output size when known (a hint: a wrong one costs only a copy). */
  constructor(private readonly maxOutput: number, outputSize?: number) {
    this.buf = new Uint8Array(outputSize !== undefined && outputSize > 0 ? Math.min(outputSize, maxOutput) : OUT_PIECE);
  }

  /** Bytes of output so far. */
  get produced(): number {
    return this.flushed + this.pos - this.origin;
  }

  /** True when the output buffer is full: take `flush()` before calling `decode` again (it then starts a fresh buffer). */
  get full(): boolean {
    return this.pos === this.buf.length;
  }

  /**
   * Decodes from `input[start..]` until the input is used up or the output buffer is full; returns
   * how far it read (all of `input` unless `full`). A match never needs input to go on, so when this
   * returns without `full`, everything read so far has been turned into output.
   */
  decode(input: Uint8Array, start = 0): number {
    // A full buffer (already flushed) gives way to a fresh one only when there is more to write:
    // a block that filled its exact-size buffer ends there, with no buffer allocated after it.
    if (this.full && (start < input.length || this.state === MATCH)) this.nextBuffer();
    const buf = this.buf;
    const cap = buf.length;
    const n = input.length;
    let i = start;
    let pos = this.pos;
    let state = this.state;
    let run = this.run;
    let remaining = this.remaining;
    let offset = this.offset;
    let nibble = this.nibble;
    let lastMatchStart = this.lastMatchStart;
    let lastMatchEnd = this.lastMatchEnd;
    // Output position `pos` in `buf` is output byte `base + pos` (`flushed` is fixed until the next flush).
    const base = this.flushed - this.origin;
    // The output limit as a position in `buf`.
    const limit = this.maxOutput - base;
    // The fast path below needs room for a whole short sequence: 14 literals + an 18-byte match.
    const fastEnd = Math.min(cap, limit) - 32;
    try {
      for (;;) {
        if (state === TOKEN) {
          // Fast path for the common sequence: no length bytes, all of it in this piece, room in
          // `buf`. Anything else (the last sequence, an invalid offset to report, long runs) goes
          // the state by state way below, from the same token. (A fast path that also took length
          // bytes measured slower on text: V8 optimizes this small loop better.)
          while (i + 17 <= n && pos <= fastEnd) {
            const token = input[i]!;
            const lit = token >>> 4;
            const ml = token & 15;
            if (lit === 15 || ml === 15) break;
            const o = input[i + 1 + lit]! | (input[i + 2 + lit]! << 8);
            if (o === 0 || o > base + pos + lit) break;
            i++;
            for (const end = i + lit; i < end;) buf[pos++] = input[i++]!;
            i += 2;
            lastMatchStart = base + pos;
            let src = pos - o;
            for (const end = pos + ml + 4; pos < end;) buf[pos++] = buf[src++]!;
            lastMatchEnd = base + pos;
          }
          if (i >= n) break;
          const token = input[i++]!;
          nibble = token & 15;
          remaining = token >>> 4;
          run = LITERALS;
          state = remaining === 15 ? LENGTH : LITERALS;
        }
        if (state === LENGTH) {
          const ended = lengthBytes(input, i, n, step);
          i = step.next;
          remaining += step.sum;
          // Checked before the length is complete too, so a bomb of 255s stops early.
          if (pos + remaining > limit) throw this.tooLong(pos, remaining, run === LITERALS ? 'a run of literals' : 'a match');
          if (!ended) break;
          state = run;
        }
        if (state === LITERALS) {
          // Before any of the run is produced (pos + remaining stays the same while it is).
          if (pos + remaining > limit) throw this.tooLong(pos, remaining, 'a run of literals');
          if (remaining > 0) {
            if (i >= n || pos === cap) break;
            const c = Math.min(remaining, n - i, cap - pos);
            if (c < SHORT_COPY) {
              for (const end = i + c; i < end;) buf[pos++] = input[i++]!;
            } else {
              buf.set(input.subarray(i, i + c), pos);
              i += c;
              pos += c;
            }
            remaining -= c;
            if (remaining > 0) continue;
          }
          state = OFFSET_LOW;
        }
        if (state === OFFSET_LOW) {
          // The block may end here: a last sequence is literals only, and nothing marks it but
          // the end of the input.
          if (i >= n) break;
          offset = input[i++]!;
          state = OFFSET_HIGH;
        }
        if (state === OFFSET_HIGH) {
          if (i >= n) break;
          offset |= input[i++]! << 8;
          if (offset === 0) throw corrupt('match offset 0 (the format forbids it; the block is corrupt)');
          const produced = base + pos;
          if (offset > produced) {
            throw corrupt(`match offset ${offset} reaches before the start of the output (${produced} bytes so far)`);
          }
          lastMatchStart = produced;
          remaining = nibble + 4;
          run = MATCH;
          state = nibble === 15 ? LENGTH : MATCH;
          // Its length bytes are read at the top of the loop.
          if (state === LENGTH) continue;
        }
        if (state === MATCH) {
          if (pos + remaining > limit) throw this.tooLong(pos, remaining, 'a match');
          if (pos === cap) break;
          const c = Math.min(remaining, cap - pos);
          pos = copyMatch(buf, pos, offset, c);
          remaining -= c;
          if (remaining > 0) continue;
          lastMatchEnd = base + pos;
          state = TOKEN;
        }
      }
    } finally {
      this.inputBytes += i - start;
      this.pos = pos;
      this.state = state;
      this.run = run;
      this.remaining = remaining;
      this.offset = offset;
      this.nibble = nibble;
      this.lastMatchStart = lastMatchStart;
      this.lastMatchEnd = lastMatchEnd;
    }
    return i;
  }

  /** Whether there is output not yet handed out. */
  get pending(): boolean {
    return this.pos > this.from;
  }

  /** The output not yet handed out, as a view nothing writes to again. */
  flush(): Uint8Array {
    const piece = this.buf.subarray(this.from, this.pos);
    this.from = this.pos;
    return piece;
  }

  /** Goes on in a fresh buffer that starts with the history matches may still reach (the last WINDOW bytes). */
  private nextBuffer(): void {
    const keep = Math.min(WINDOW, this.pos);
    const next = new Uint8Array(WINDOW + OUT_PIECE);
    next.set(this.buf.subarray(this.pos - keep, this.pos), WINDOW - keep);
    this.flushed = this.produced;
    this.buf = next;
    this.origin = WINDOW;
    this.pos = WINDOW;
    this.from = WINDOW;
  }

  /**
   * Call once the input has ended: throws unless the block ended where one may, right after a
   * sequence's literals (there is no end marker: the input's end is the block's end), and its
   * end keeps the format's end-of-block rules.
   */
  end(): void {
    if (this.inputBytes === 0) throw corrupt('empty input (an empty block is the single byte 0x00)');
    switch (this.state) {
      case OFFSET_LOW: return this.checkEndRules();
      case TOKEN: throw corrupt('truncated input (the block ends with a match; its last sequence must be literals only)');
      case LENGTH: throw corrupt(`truncated input (inside a ${this.run === LITERALS ? 'literal' : 'match'} length)`);
      case LITERALS: throw corrupt(`truncated input (${this.remaining} literal bytes missing)`);
      case OFFSET_HIGH: throw corrupt('truncated input (inside a match offset)');
      default: throw new Error(`lz4: end() called during a match copy (state ${this.state})`);
    }
  }

  /**
   * The format's end-of-block rules: the last 5 bytes are literals and the last match starts at
   * least 12 bytes before the end (so a block under 13 bytes is all literals). Every LZ4 encoder
   * keeps them (liblz4's LZ4_compress_default, which Borg uses, and its HC mode); liblz4's decoder
   * relies on them for its speed and refuses most blocks that break them, though not all (its checks
   * are margins against its own input and output buffers). Enforcing them exactly means this decoder
   * accepts no block liblz4 refuses, and it catches more cut or damaged blocks: a block cut after
   * a run of literals is otherwise a valid, shorter block.
   */
  private checkEndRules(): void {
    if (this.lastMatchStart < 0) return;
    const end = this.produced;
    const lastLiterals = end - this.lastMatchEnd;
    if (lastLiterals < 5 || this.lastMatchStart > end - 12) {
      throw corrupt(`the block's end breaks the format's rules (last match at ${this.lastMatchStart}, then ${lastLiterals} literals, `
        + `output ${end} bytes: the last 5 bytes must be literals and the last match start 12 or more before the end); truncated or corrupt`);
    }
  }

  /** The error for a run that would take the output past `maxOutput` (raised before producing any of it). */
  private tooLong(pos: number, length: number, what: string): Error {
    const produced = this.flushed + pos - this.origin;
    return corrupt(`${what} of ${length} bytes would take the output past its limit of ${this.maxOutput} bytes (${produced} so far)`);
  }
}

/**
 * Copies `length` bytes from `offset` back to `pos` and returns the new position. When the
 * offset is shorter than the length the source overlaps what is being written: the copy repeats
 * the last `offset` bytes, so it is done in steps that each read only bytes already written,
 * doubling each time (offset 1 fills a run of one byte in log2(length) steps).
 */
function copyMatch(buf: Uint8Array, pos: number, offset: number, length: number): number {
  const end = pos + length;
  let src = pos - offset;
  if (length < SHORT_COPY) {
    while (pos < end) buf[pos++] = buf[src++]!;
    return end;
  }
  if (offset >= length) {
    buf.copyWithin(pos, src, src + length);
    return end;
  }
  const start = src;
  while (pos < end) {
    const c = Math.min(end - pos, pos - start);
    buf.copyWithin(pos, start, start + c);
    pos += c;
  }
  return end;
}

/** Where `lengthBytes` stopped and what it added (reused: no object per call on the hot path). */
const step = { next: 0, sum: 0 };

/**
 * A length's extension bytes from `input[i..n)`: 15 in the token, then bytes added while each is
 * 255; the first one below 255 ends the length. Returns whether it ended (else the input ran out).
 */
function lengthBytes(input: Uint8Array, i: number, n: number, out: typeof step): boolean {
  let sum = 0;
  while (i < n) {
    const b = input[i++]!;
    sum += b;
    if (b !== 255) { out.next = i; out.sum = sum; return true; }
  }
  out.next = i;
  out.sum = sum;
  return false;
}
