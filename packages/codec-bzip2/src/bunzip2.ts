import bzip2 from 'unbzip2-stream/lib/bzip2.js';
import bitIterator from 'unbzip2-stream/lib/bit_iterator.js';
import { CorruptBackupError, type ByteStream, type ReadOptions } from '@qubes-backup/core';

const OUT_PIECE = 256 * 1024;

const corrupt = (cause: string, error?: unknown): CorruptBackupError =>
  new CorruptBackupError(`bzip2: ${cause}`, error === undefined ? {} : { cause: error });

/** Thrown by our byte supplier when the decoder wants bytes that are not (yet) there. */
class OutOfInput extends Error {}

/**
 * Collects the decoder's byte-at-a-time output into pieces. One block is decoded synchronously,
 * so its whole output (up to ~46 MB for a 900 kB block of runs) is held before it is handed on.
 */
class PieceSink {
  pieces: Uint8Array[] = [];
  private buf = new Uint8Array(OUT_PIECE);
  private n = 0;
  readonly write = (byte: number): void => {
    if (this.n === OUT_PIECE) { this.pieces.push(this.buf); this.buf = new Uint8Array(OUT_PIECE); this.n = 0; }
    this.buf[this.n++] = byte;
  };
  take(): Uint8Array[] {
    if (this.n > 0) { this.pieces.push(this.buf.slice(0, this.n)); this.n = 0; }
    const out = this.pieces;
    this.pieces = [];
    return out;
  }
}

function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/crc32 do not match/.test(msg)) return 'CRC mismatch (data corrupt)';
  return `data corrupt (${msg})`;
}

/**
 * bunzip2 on unbzip2-stream's decoder (driven directly, without its `through` stream wrapper): every
 * block and stream CRC is checked, concatenated streams (pbzip2, `cat`) are decoded, and anything
 * after the last stream is an error. Decoding is synchronous per block (up to ~0.5 s each).
 */
export async function* bunzip2(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  // Index-based queue: Array#shift is O(n), which 1-byte input pieces turn into O(n²).
  let queue: Uint8Array[] = [];
  let head = 0;
  let received = 0;
  let ended = false;
  const input = data[Symbol.asyncIterator]();
  const next = (): Uint8Array => {
    if (head === queue.length) throw new OutOfInput();
    const c = queue[head++]!;
    if (head > 1024 && head * 2 > queue.length) { queue = queue.slice(head); head = 0; }
    return c;
  };
  let bits: ReturnType<typeof bitIterator> | undefined;
  const buffered = (): number => received - (bits?.bytesRead ?? 0);

  /** Reads input until `n` bytes are buffered or the input ends. */
  const fill = async (n: number): Promise<void> => {
    while (!ended && buffered() < n) {
      const r = await input.next();
      if (r.done) { ended = true; break; }
      if (r.value.length === 0) continue;
      queue.push(r.value);
      received += r.value.length;
    }
  };

  const sink = new PieceSink();
  let level = 0; // 0 between streams
  let streamCrc: number | null = 0;
  let streams = 0;
  let work: Int32Array | undefined;
  try {
    for (;;) {
      signal?.throwIfAborted();
      // A whole block must be buffered: the decoder cannot wait for input in the middle of one.
      await fill(level === 0 ? 4 : 25_000 + 110_000 * level);
      if (level === 0) {
        if (buffered() === 0 && ended) {
          if (streams === 0) throw corrupt('empty input');
          return;
        }
        bits ??= bitIterator(next);
        try {
          level = bzip2.header(bits);
        } catch (e) {
          if (streams > 0) throw corrupt('garbage after the last stream', e);
          throw corrupt(e instanceof OutOfInput ? 'truncated input' : 'not bzip2 data (bad magic)', e);
        }
        streamCrc = 0;
        if (!work || work.length < 100_000 * level) work = new Int32Array(100_000 * level);
        continue;
      }
      try {
        streamCrc = bzip2.decompress(bits!, sink.write, work!, 100_000 * level, streamCrc);
      } catch (e) {
        if (e instanceof OutOfInput) throw corrupt(ended ? 'truncated input' : 'block longer than bzip2 allows', e);
        throw corrupt(describe(e), e);
      }
      if (streamCrc === null) { level = 0; streams++; }
      for (const piece of sink.take()) {
        signal?.throwIfAborted();
        yield piece;
      }
    }
  } finally {
    if (!ended) await input.return?.();
  }
}
