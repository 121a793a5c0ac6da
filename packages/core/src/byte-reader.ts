import type { ByteStream, ReadOptions } from './bytes.js';

const EMPTY = new Uint8Array(0);

/**
 * A pull reader over a byte stream: exact reads, skips, and "read what is there", with an internal
 * queue so parsers can ask for N bytes regardless of how the producer chunked them. Buffers at most
 * what one call asks for plus one producer chunk.
 */
export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  // A queue with a head index: Array.shift() is O(n), quadratic when a producer sends tiny pieces.
  private queue: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private ended = false;
  /** Bytes consumed by the caller so far. */
  position = 0;

  constructor(stream: ByteStream) {
    this.it = stream[Symbol.asyncIterator]();
  }

  /**
   * A seekable source's `stream(offset)` made of its `read`: pieces start at `first` bytes and
   * double up to `max` (a reader that takes a header and seeks on reads little per skip; a long
   * read soon moves big pieces), until `size` (never past it) or an empty read. With `ahead`, the next piece is
   * asked for while this one is consumed, so a remote source's round trip overlaps the work on it.
   */
  static async *pieces(
    read: (offset: number, length: number, opts?: ReadOptions) => Promise<Uint8Array>,
    size: number, offset: number, opts: ReadOptions | undefined, sizes: { readonly first: number; readonly max: number; readonly ahead?: boolean },
  ): ByteStream {
    let pos = offset;
    let want = sizes.first;
    let next: Promise<Uint8Array> | undefined;
    while (pos < size) {
      const piece = await (next ?? read(pos, Math.min(want, size - pos), opts));
      if (piece.length === 0) return;
      pos += piece.length;
      want = Math.min(want * 2, sizes.max);
      next = sizes.ahead && pos < size ? read(pos, Math.min(want, size - pos), opts) : undefined;
      next?.catch(() => undefined); // awaited on the next turn, or dropped with the stream
      yield piece;
    }
  }

  /**
   * Whether `stream` is a single piece (a chunk handed over whole, which a decoder can decode in one
   * call): `only` is that piece, or undefined when there are none or several; `stream` gives every
   * piece again either way. Reads at most two pieces ahead.
   */
  static async single(stream: ByteStream): Promise<{ readonly only: Uint8Array | undefined; readonly stream: ByteStream }> {
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    const second = first.done ? first : await it.next();
    const only = !first.done && second.done && first.value instanceof Uint8Array ? first.value : undefined;
    return {
      only,
      stream: (async function* () {
        if (!first.done) yield first.value;
        if (second.done) return;
        yield second.value;
        for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
      })(),
    };
  }

  private async fill(n: number): Promise<void> {
    while (this.queued < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) { this.ended = true; break; }
      if (r.value.length === 0) continue;
      this.queue.push(r.value);
      this.queued += r.value.length;
    }
  }

  private drop(): void {
    // The slot let go of: a queue that never empties (reads ending inside pieces) would otherwise
    // hold every piece given out, up to the 1024 the compaction below waits for.
    this.queue[this.head] = EMPTY;
    this.head++;
    if (this.head === this.queue.length) { this.queue = []; this.head = 0; }
    else if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
  }

  /** Takes `n` bytes (0 < n <= queued) from the queue (no I/O). */
  private take(n: number): Uint8Array {
    const first = this.queue[this.head]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.drop(); else this.queue[this.head] = first.subarray(n);
      this.queued -= n;
      this.position += n;
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const cur = this.queue[this.head]!;
      const k = Math.min(cur.length, n - o);
      out.set(cur.subarray(0, k), o);
      o += k;
      if (k === cur.length) this.drop(); else this.queue[this.head] = cur.subarray(k);
    }
    this.queued -= n;
    this.position += n;
    return out;
  }

  /** Exactly `n` bytes, or fewer only at the end of the stream (check the length). */
  async read(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const k = Math.min(n, this.queued);
    return k === 0 ? new Uint8Array(0) : this.take(k);
  }

  /** Whatever is available now (up to `max`), reading once if the queue is empty; empty at end. */
  async readSome(max: number): Promise<Uint8Array> {
    if (this.queued === 0) await this.fill(1);
    if (this.queued === 0) return new Uint8Array(0);
    return this.take(Math.min(max, this.queue[this.head]!.length));
  }

  /** Skips `n` bytes; returns how many were skipped (fewer only at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const c = await this.readSome(Math.min(left, 1 << 20));
      if (c.length === 0) break;
      left -= c.length;
    }
    return n - left;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.queued === 0;
  }

  /** Stops the producer early (releases file handles). */
  async close(): Promise<void> {
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}
