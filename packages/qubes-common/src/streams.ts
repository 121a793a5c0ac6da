import { CorruptBackupError, type ByteStream } from '@qubes-backup/core';

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
