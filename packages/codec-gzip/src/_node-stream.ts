import { Readable, type Transform } from 'node:stream';
import type { ByteStream, ReadOptions } from '@qubes-backup/core';

/**
 * Runs `data` through a node:zlib stream, yielding its output as Uint8Arrays. Errors of the input
 * are not the decoder's: they come out unchanged. zlib's own (`Z_*`) become CorruptBackupError;
 * `finish` runs after the output ended (a check of what zlib did not consume).
 */
export async function* throughZlib(
  data: ByteStream, z: Transform, opts: ReadOptions,
  o: { corrupt: (message: string, cause: unknown) => Error; finish?: (src: Readable) => Promise<void>; empty?: () => boolean },
): ByteStream {
  const { corrupt, finish, empty } = o;
  const { signal } = opts;
  signal?.throwIfAborted();
  const src = Readable.from(data, { objectMode: false, highWaterMark: 1 });
  let upstream: { error: unknown } | undefined;
  src.on('error', (error) => { upstream = { error }; z.destroy(error); });
  const onAbort = (): void => { z.destroy(signal?.reason as Error); };
  signal?.addEventListener('abort', onAbort, { once: true });
  src.pipe(z);
  try {
    for await (const piece of z as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      yield new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
    }
    await finish?.(src);
    signal?.throwIfAborted();
  } catch (e) {
    if (upstream) throw upstream.error;
    if (signal?.aborted) throw signal.reason;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      if (empty?.()) throw corrupt('empty input', e);
      throw corrupt((e as Error).message === 'unexpected end of file' ? 'truncated input (unexpected end of file)' : (e as Error).message, e);
    }
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    src.destroy();
    z.destroy();
  }
}
