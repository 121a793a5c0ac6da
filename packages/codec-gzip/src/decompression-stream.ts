import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { corrupt } from './errors.js';
import { inputPieces } from './_pieces.js';

/**
 * Input given to one write. A write inflates all it is given before the next (deflate expands up to
 * ~1032:1), so 64 KiB in is at most ~66 MiB of output waiting to be passed on; 32 KiB was ~7 % slower
 * in the page.
 */
const IN_PIECE = 64 * 1024;

/** The first byte of every gzip member (then 0x8b, then 8 for deflate). */
const ID1 = 0x1f;

/**
 * Where a gzip member could start in `b` at or after `from`: the bytes 1f 8b 08, or as much of them
 * as `b` still holds at its end; `b.length` when nowhere.
 */
function nextMemberStart(b: Uint8Array, from: number): number {
  for (let i = b.indexOf(ID1, from); i !== -1; i = b.indexOf(ID1, i + 1)) {
    if ((i + 1 >= b.length || b[i + 1] === 0x8b) && (i + 2 >= b.length || b[i + 2] === 8)) return i;
  }
  return b.length;
}

/** The last 8 bytes written: at a member's end, its trailer (CRC-32, then the length mod 2^32). */
class LastBytes {
  private readonly bytes = new Uint8Array(8);
  private held = 0;

  add(seg: Uint8Array): void {
    if (seg.length >= 8) {
      this.bytes.set(seg.subarray(seg.length - 8));
    } else {
      this.bytes.copyWithin(0, seg.length);
      this.bytes.set(seg, 8 - seg.length);
    }
    this.held = Math.min(8, this.held + seg.length);
  }

  /** The trailer's length field, or undefined when fewer than 8 bytes were written. */
  isize(): number | undefined {
    const b = this.bytes;
    return this.held < 8 ? undefined : (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  }
}

/** Output read ahead of the consumer before the reading pauses (and with it, the stream's writes). */
const HOLD = 1 << 20;

/** How a write or close ended: undefined when it succeeded, else what it was refused with. */
type Outcome = { refused: unknown } | undefined;

/**
 * One gzip member's DecompressionStream. A loop reads its output into `ready` while less than
 * `HOLD` waits there; `pump` passes that output on while a write or close is pending. A
 * TransformStream runs a write only once its reader has taken all earlier output, so a write refused
 * at its start loses no output of earlier writes.
 */
class MemberInflater {
  private readonly writer: WritableStreamDefaultWriter<BufferSource>;
  private ready: Uint8Array[] = [];
  private held = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;
  /** Bytes of output read so far. */
  produced = 0;

  constructor() {
    const ds = new DecompressionStream('gzip');
    this.writer = ds.writable.getWriter();
    const reader = ds.readable.getReader();
    void (async () => {
      try {
        for (;;) {
          while (this.held >= HOLD) await new Promise<void>((resolve) => { this.room = resolve; });
          const r = await reader.read();
          if (r.done) return;
          this.ready.push(r.value);
          this.held += r.value.length;
          this.produced += r.value.length;
          this.signal();
        }
      } catch {
        // The same error refuses the write or close that caused it.
      } finally {
        this.ended = true;
        this.signal();
      }
    })();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Writes `seg`, passing on the output that comes meanwhile; says whether it was refused. */
  write(seg: Uint8Array): AsyncGenerator<Uint8Array, Outcome> {
    return this.pump(this.writer.write(seg as Uint8Array<ArrayBuffer>));
  }

  /** Ends the input (refused when the member is incomplete), passing on the rest of the output. */
  async *close(): AsyncGenerator<Uint8Array, Outcome> {
    const outcome = yield* this.pump(this.writer.close());
    yield* this.rest();
    return outcome;
  }

  /**
   * The output until it ends (normally or in the error a write or close reports). Taken as it comes:
   * the reading pauses while `HOLD` waits, so merely waiting for the end could wait forever.
   */
  async *rest(): AsyncGenerator<Uint8Array> {
    while (!this.ended) {
      if (this.ready.length === 0) await new Promise<void>((resolve) => { this.wake = resolve; });
      yield* this.take();
    }
    yield* this.take();
  }

  abort(reason: unknown): void {
    this.writer.abort(reason).catch(() => {});
  }

  /** The output read since the last call. */
  *take(): Generator<Uint8Array> {
    const out = this.ready;
    this.ready = [];
    this.held = 0;
    const room = this.room;
    this.room = undefined;
    room?.();
    yield* out;
  }

  private async *pump(op: Promise<void>): AsyncGenerator<Uint8Array, Outcome> {
    let outcome: Outcome | null = null;
    const settled = op.then(() => { outcome = undefined; }, (refused: unknown) => { outcome = { refused }; });
    for (;;) {
      const more = this.ready.length > 0 || this.ended ? undefined : new Promise<void>((resolve) => { this.wake = resolve; });
      if (more) await Promise.race([settled, more]);
      yield* this.take();
      if (outcome !== null) return outcome;
      if (this.ended) await settled;
    }
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * gunzip with the runtime's own `DecompressionStream('gzip')` (zlib inside browsers and Node; it
 * checks each member's CRC-32 and length itself). In Chromium it is several times faster than
 * fflate, whose many small buffers cost far more there than in Node. Browsers decode one member per
 * stream and refuse any byte after it, so the input is written in pieces split wherever a member could
 * begin (1f 8b 08); a piece refused right after a member whose trailer's length matches the output
 * starts the next member in a new stream. Any other byte after the last member is an error, as in the
 * portable backend (Node's zlib behind this API, like GNU gzip, ignores trailing zeros).
 */
export async function* gunzipDecompressionStream(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  let member = new MemberInflater();
  let members = 1;
  let total = 0;
  const last = new LastBytes();
  const fail = (e: unknown): Error => {
    const msg = messageOf(e);
    if (/truncated|unexpected end/i.test(msg)) return corrupt(`truncated input (unexpected end of member ${members})`, e);
    if (/junk/i.test(msg)) return corrupt(`bytes after the end of member ${members} that do not start another member`, e);
    return corrupt(`member ${members}: ${msg}`, e);
  };
  try {
    for await (const piece of inputPieces(data, IN_PIECE, signal)) {
      for (let s = 0; s < piece.length;) {
        const e = nextMemberStart(piece, s + 1);
        const seg = piece.subarray(s, e);
        let outcome = yield* member.write(seg);
        if (outcome) {
          // Refused where a member may begin: the previous member ended just before, if its trailer's
          // length is what it produced (zlib reached the end only after checking CRC-32 and length).
          yield* member.rest();
          if (seg[0] !== ID1 || last.isize() !== member.produced % 2 ** 32) throw fail(outcome.refused);
          member = new MemberInflater();
          members++;
          outcome = yield* member.write(seg);
          if (outcome) throw fail(outcome.refused);
        }
        total += seg.length;
        last.add(seg);
        s = e;
      }
    }
    signal?.throwIfAborted();
    if (total === 0) throw corrupt('empty input');
    const outcome = yield* member.close();
    if (outcome) throw fail(outcome.refused);
  } finally {
    member.abort(new Error('gunzip ended'));
  }
}

const info = { kind: 'compressor', name: 'gzip', aliases: ['pigz'], backend: 'portable' } as const;

/**
 * gzip/pigz on the runtime's `DecompressionStream` (browsers, Node, Deno): the page's backend. Not in
 * the default registries: Node has the faster node:zlib, and a runtime without the API needs fflate.
 */
export const gzipDecompressionStream: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: gunzipDecompressionStream }),
};
