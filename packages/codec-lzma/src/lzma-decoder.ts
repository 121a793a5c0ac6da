import { CorruptBackupError } from '@qubes-backup/core';

/**
 * An LZMA (LZMA1) decoder that runs in steps, so the caller can feed input and take output between
 * them. Transcribed from the LZMA specification's reference decoder (LzmaSpec.cpp, public domain):
 * range decoder, literal/match/rep coding, the end marker and the known-size end.
 */

const corrupt = (cause: string): CorruptBackupError => new CorruptBackupError(`lzma: ${cause}`);

const PROB_INIT = 1024;
const TOP = 2 ** 24;
/** Input bytes one step (a literal or a match) can consume at most: one per decoded bit, ~52. */
export const MAX_STEP_INPUT = 64;

export interface LzmaProperties {
  readonly lc: number;
  readonly lp: number;
  readonly pb: number;
  readonly dictSize: number;
}

/** Where decoded bytes go: a window that the decoder also reads matches back from. */
export class Window {
  buf: Uint8Array;
  pos = 0;
  /** Bytes written in total. */
  total = 0;
  full = false;
  /** Start of the bytes not handed out yet (always ≤ pos; the window flushes before it wraps). */
  flushed = 0;
  readonly pieces: Uint8Array[] = [];

  constructor(private readonly cap: number) {
    // Grown on demand up to `cap`, so a small file with a 64 MiB dictionary stays small.
    this.buf = new Uint8Array(Math.min(cap, 1 << 16));
  }

  put(b: number): void {
    this.buf[this.pos++] = b;
    this.total++;
    if (this.pos === this.buf.length) this.wrap();
  }

  private wrap(): void {
    this.flush();
    if (this.buf.length < this.cap) {
      const bigger = new Uint8Array(Math.min(this.cap, this.buf.length * 2));
      bigger.set(this.buf);
      this.buf = bigger;
    } else {
      this.pos = 0;
      this.flushed = 0;
      this.full = true;
    }
  }

  /** The byte `dist` back (1 = the last one written). */
  get(dist: number): number {
    let i = this.pos - dist;
    if (i < 0) i += this.buf.length;
    return this.buf[i]!;
  }

  /** True when `dist` reaches before the first byte or beyond the dictionary. */
  bad(dist: number): boolean {
    return dist > this.cap || (!this.full && dist > this.pos);
  }

  copyMatch(dist: number, len: number): void {
    for (; len > 0; len--) this.put(this.get(dist));
  }

  /** Moves what was written since the last flush to `pieces` (copies). */
  flush(): void {
    if (this.pos > this.flushed) this.pieces.push(this.buf.slice(this.flushed, this.pos));
    this.flushed = this.pos;
  }

  pending(): number {
    return this.pos - this.flushed;
  }
}

export class LzmaDecoder {
  // range decoder
  private range = 0xffffffff;
  private code = 0;
  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  // models
  private readonly literal: Uint16Array;
  private readonly isMatch = new Uint16Array(192).fill(PROB_INIT);
  private readonly isRep = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG0 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG1 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG2 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRep0Long = new Uint16Array(192).fill(PROB_INIT);
  private readonly posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  private readonly posDecoders = new Uint16Array(1 + 128 - 14).fill(PROB_INIT);
  private readonly align = new Uint16Array(16).fill(PROB_INIT);
  private readonly lenProbs = new Uint16Array(2 + 16 * 8 * 2 + 256).fill(PROB_INIT);
  private readonly repLenProbs = new Uint16Array(2 + 16 * 8 * 2 + 256).fill(PROB_INIT);
  // state
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  /** Bytes still to produce when the size is known; -1 when it is not. */
  private remaining: number;
  finished = false;
  readonly window: Window;

  constructor(private readonly props: LzmaProperties, unpackSize: number | undefined) {
    this.literal = new Uint16Array(0x300 << (props.lc + props.lp)).fill(PROB_INIT);
    this.remaining = unpackSize ?? -1;
    const dict = Math.max(props.dictSize, 4096);
    this.window = new Window(Math.max(1, unpackSize === undefined ? dict : Math.min(dict, unpackSize)));
  }

  /** Sets the bytes the next steps read from; returns how many of the previous ones were unread. */
  feed(bytes: Uint8Array): void {
    this.input = bytes;
    this.inPos = 0;
  }

  unread(): number {
    return this.input.length - this.inPos;
  }

  private byte(): number {
    if (this.inPos >= this.input.length) throw corrupt('truncated input');
    return this.input[this.inPos++]!;
  }

  /** Reads the 5 range-coder bytes that start the data. */
  init(): void {
    if (this.byte() !== 0) throw corrupt('data corrupt (bad range coder start)');
    this.code = ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
    if (this.code === this.range) throw corrupt('data corrupt (bad range coder start)');
  }

  private bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let bit: number;
    if (this.code < bound) {
      probs[i] = p + ((2048 - p) >>> 5);
      this.range = bound;
      bit = 0;
    } else {
      probs[i] = p - (p >>> 5);
      this.code -= bound;
      this.range -= bound;
      bit = 1;
    }
    if (this.range < TOP) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.byte()) >>> 0;
    }
    return bit;
  }

  private direct(n: number): number {
    let res = 0;
    for (; n > 0; n--) {
      this.range >>>= 1;
      let bit = 1;
      if (this.code >= this.range) this.code -= this.range;
      else bit = 0;
      if (this.code === this.range) throw corrupt('data corrupt (range coder)');
      if (this.range < TOP) {
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) + this.byte()) >>> 0;
      }
      res = res * 2 + bit;
    }
    return res;
  }

  private tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }

  private reverseTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1, sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  /** Length coder layout: [choice, choice2, low 16×8, mid 16×8, high 256]. */
  private length(probs: Uint16Array, posState: number): number {
    if (this.bit(probs, 0) === 0) return this.tree(probs, 2 + posState * 8, 3);
    if (this.bit(probs, 1) === 0) return 8 + this.tree(probs, 2 + 128 + posState * 8, 3);
    return 16 + this.tree(probs, 2 + 256, 8);
  }

  private distance(len: number): number {
    const lenState = Math.min(len, 3);
    const slot = this.tree(this.posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const n = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** n;
    if (slot < 14) return dist + this.reverseTree(this.posDecoders, dist - slot, n);
    dist += this.direct(n - 4) * 16;
    return dist + this.reverseTree(this.align, 0, 4);
  }

  /**
   * Decodes one literal or match. Needs up to MAX_STEP_INPUT input bytes (fewer only at the end
   * of the input, where running out is truncation).
   */
  step(): void {
    const w = this.window;
    const { lc, lp, pb } = this.props;
    if (this.remaining === 0 && this.code === 0) { this.finished = true; return; }
    const posState = w.total & ((1 << pb) - 1);
    const s = this.state;
    if (this.bit(this.isMatch, (s << 4) + posState) === 0) {
      if (this.remaining === 0) throw corrupt('data after the declared end');
      const prev = w.total > 0 ? w.get(1) : 0;
      const base = 0x300 * (((w.total & ((1 << lp) - 1)) << lc) + (prev >>> (8 - lc)));
      let sym = 1;
      if (s >= 7) {
        let match = w.get(this.rep0 + 1);
        while (sym < 0x100) {
          const mb = (match >>> 7) & 1;
          match <<= 1;
          const b = this.bit(this.literal, base + ((1 + mb) << 8) + sym);
          sym = (sym << 1) | b;
          if (mb !== b) break;
        }
      }
      while (sym < 0x100) sym = (sym << 1) | this.bit(this.literal, base + sym);
      w.put(sym - 0x100);
      this.state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
      if (this.remaining > 0) this.remaining--;
      return;
    }
    let len: number;
    if (this.bit(this.isRep, s) !== 0) {
      if (this.remaining === 0) throw corrupt('data after the declared end');
      if (w.total === 0) throw corrupt('data corrupt (match before any data)');
      if (this.bit(this.isRepG0, s) === 0) {
        if (this.bit(this.isRep0Long, (s << 4) + posState) === 0) {
          this.state = s < 7 ? 9 : 11;
          w.put(w.get(this.rep0 + 1));
          if (this.remaining > 0) this.remaining--;
          return;
        }
      } else {
        let dist: number;
        if (this.bit(this.isRepG1, s) === 0) {
          dist = this.rep1;
        } else {
          if (this.bit(this.isRepG2, s) === 0) dist = this.rep2;
          else { dist = this.rep3; this.rep3 = this.rep2; }
          this.rep2 = this.rep1;
        }
        this.rep1 = this.rep0;
        this.rep0 = dist;
      }
      len = this.length(this.repLenProbs, posState);
      this.state = s < 7 ? 8 : 11;
    } else {
      this.rep3 = this.rep2;
      this.rep2 = this.rep1;
      this.rep1 = this.rep0;
      len = this.length(this.lenProbs, posState);
      this.state = s < 7 ? 7 : 10;
      this.rep0 = this.distance(len);
      if (this.rep0 === 0xffffffff) {
        if (this.code !== 0) throw corrupt('data corrupt (end marker)');
        if (this.remaining > 0) throw corrupt('end marker before the declared size (truncated data)');
        this.finished = true;
        return;
      }
      if (this.remaining === 0) throw corrupt('data after the declared end');
    }
    len += 2;
    const dist = this.rep0 + 1;
    if (w.bad(dist)) throw corrupt('data corrupt (match distance beyond the data or the dictionary)');
    if (this.remaining >= 0 && this.remaining < len) throw corrupt('data longer than the declared size');
    w.copyMatch(dist, len);
    if (this.remaining > 0) this.remaining -= len;
  }
}
