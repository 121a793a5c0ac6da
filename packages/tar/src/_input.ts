import { ByteReader, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { SEEK_THRESHOLD } from './limits.js';

async function* empty(): ByteStream {}

/** What a source is opened with: the signal only, since progress is reported here (no double counting). */
export function sourceOptions(opts: ReadOptions): ReadOptions {
  return { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.ahead ? { ahead: true } : {}) };
}

/**
 * The byte stream under a tar reader, with an absolute position. Over a seekable ByteSource, a
 * long skip re-opens the source at the target instead of reading through the bytes in between.
 */
export class Input {
  private reader: ByteReader;
  /** Absolute offset of the current reader's first byte. */
  private base = 0;

  constructor(
    private readonly source: ByteSource | undefined,
    stream: ByteStream,
    private readonly opts: ReadOptions,
  ) {
    this.reader = new ByteReader(stream);
  }

  get position(): number {
    return this.base + this.reader.position;
  }

  private progress(n: number): void {
    if (n > 0) this.opts.onProgress?.(n);
  }

  /** Exactly `n` bytes, fewer only at the end. */
  async read(n: number): Promise<Uint8Array> {
    const b = await this.reader.read(n);
    this.progress(b.length);
    return b;
  }

  /** Up to `max` bytes; empty only at the end. */
  async readSome(max: number): Promise<Uint8Array> {
    const b = await this.reader.readSome(max);
    this.progress(b.length);
    return b;
  }

  /** Skips `n` bytes; returns how many there were (fewer only at the end). */
  async skip(n: number): Promise<number> {
    if (n >= SEEK_THRESHOLD && this.source?.seekable) return this.seek(n);
    const k = await this.reader.skip(n);
    this.progress(k);
    return k;
  }

  private async seek(n: number): Promise<number> {
    const from = this.position;
    const target = from + n;
    await this.reader.close();
    const size = this.source!.size;
    if (size !== undefined && target > size) {
      // Nothing left to read: the caller reports the truncation.
      this.reader = new ByteReader(empty());
      this.base = size;
      this.progress(Math.max(0, size - from));
      return Math.max(0, size - from);
    }
    // Open one byte early and read it, so a target past the end is noticed even when size is unknown.
    this.reader = new ByteReader(this.source!.stream(target - 1, sourceOptions(this.opts)));
    this.base = target - 1;
    const probe = await this.reader.readSome(1);
    this.progress(n);
    return probe.length === 1 ? n : n - 1;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  /**
   * `length` bytes at `offset` read again from the source, any number of times: only over a local
   * seekable source (see `ByteSource.local`), else undefined. Truncation shows as a shorter stream.
   * With `ByteSource.read`, in pieces of exactly 1 MiB from `offset`: a reader cutting the bytes into
   * 1 MiB windows (the two-read paths) then takes each piece whole, where the stream's pieces (4 KiB
   * doubling to 1 MiB) straddle every window and each had to be copied.
   */
  rereader(offset: number, length: number): ((opts?: ReadOptions) => ByteStream) | undefined {
    const source = this.source;
    if (!source?.seekable || !source.local) return undefined;
    const pieces = (opts?: ReadOptions): ByteStream => {
      const o = opts?.signal ? { signal: opts.signal } : {};
      if (source.read) return readPieces(source.read.bind(source), offset, length, o);
      return source.stream(offset, o);
    };
    return async function* (opts?: ReadOptions): ByteStream {
      if (length === 0) return;
      let left = length;
      for await (const piece of pieces(opts)) {
        const c = piece.length > left ? piece.subarray(0, left) : piece;
        left -= c.length;
        opts?.onProgress?.(c.length);
        yield c;
        if (left === 0) return;
      }
    };
  }
}

const REREAD_PIECE = 1 << 20;

async function* readPieces(read: NonNullable<ByteSource['read']>, offset: number, length: number, opts: ReadOptions): ByteStream {
  for (let at = 0; at < length;) {
    const n = Math.min(REREAD_PIECE, length - at);
    const b = await read(offset + at, n, opts);
    if (b.length > 0) yield b;
    if (b.length < n) return;
    at += n;
  }
}
