import type { ByteStream } from './bytes.js';
import { CorruptBackupError } from './errors.js';

/** Adapts a Node-style or WHATWG readable of bytes (anything async-iterable) to a ByteStream of Uint8Array. */
export async function* asByteStream(source: AsyncIterable<unknown>): ByteStream {
  for await (const c of source) {
    if (c instanceof Uint8Array) yield c;
    else if (typeof c === 'string') yield new TextEncoder().encode(c);
    else throw new TypeError('stream produced a non-byte chunk');
  }
}

/** Concatenates streams in order. */
export async function* concatStreams(streams: AsyncIterable<ByteStream> | Iterable<ByteStream>): ByteStream {
  for await (const s of streams) yield* s;
}

/** Re-chunks a stream into pieces of at most `size` bytes (for decoders that stall on huge inputs). */
export async function* rechunk(stream: ByteStream, size: number): ByteStream {
  for await (const c of stream) {
    for (let o = 0; o < c.length; o += size) yield c.subarray(o, Math.min(c.length, o + size));
  }
}

/** Counts bytes flowing through, reporting deltas. */
export async function* counted(stream: ByteStream, onBytes: (n: number) => void): ByteStream {
  for await (const c of stream) { onBytes(c.length); yield c; }
}

/**
 * Lets a consumer stop early without closing the producer: `stream` never forwards `return()`, and
 * `rest()` drains what the consumer left. Used to let the inner tar reader stop at its end marker
 * while every remaining chunk is still read and authenticated.
 */
export function shielded(source: ByteStream): { stream: ByteStream; rest(): Promise<number>; readonly failed: boolean } {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  let failed = false;
  const stream: ByteStream = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (done) return { done: true, value: undefined };
        try {
          const r = await it.next();
          if (r.done) done = true;
          return r;
        } catch (e) {
          // The consumer gets this error; the producer is finished.
          done = true;
          failed = true;
          throw e;
        }
      },
      async return() { return { done: true, value: undefined }; },
    }),
  };
  return {
    stream,
    /** True when the producer threw (to the consumer): there is no rest to read. */
    get failed() { return failed; },
    async rest() {
      let n = 0;
      while (!done) {
        const r = await it.next();
        if (r.done) { done = true; break; }
        n += r.value.length;
      }
      return n;
    },
  };
}

/**
 * Fails with CorruptBackupError once more than `limit` bytes flowed: a decompression bomb (an
 * authenticated backup can still be hostile) stops here instead of filling the disk or running forever.
 */
export async function* limitBytes(stream: ByteStream, limit: number, member: string, what: string): ByteStream {
  let n = 0;
  for await (const c of stream) {
    n += c.length;
    if (n > limit) throw new CorruptBackupError(`${what} (more than ${limit} bytes)`, { member });
    yield c;
  }
}

/**
 * How many decompressed bytes a VM whose qubes.xml backup-size (disk usage) is `size` may produce
 * before it counts as a decompression bomb: tar headers and maps add little, so 4x plus 8 MiB is
 * far above any real backup and far below a bomb.
 */
export function backupSizeLimit(size: number): number {
  return 4 * size + (8 << 20);
}
