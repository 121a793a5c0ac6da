import { createInflate } from 'node:zlib';
import { Readable } from 'node:stream';
import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { corruptZlib as corrupt } from './errors.js';

/** zlib's output piece size (its default is 16 KiB; bigger pieces mean fewer awaits). */
const OUT_PIECE = 64 * 1024;

/**
 * A zlib stream (RFC 1950: 2-byte header, deflate data, Adler-32 of the output) with node:zlib,
 * which checks the header and the Adler-32. node:zlib stops at the end of the deflate data and
 * drops whatever follows without a word; here any byte after the trailer is an error.
 */
export async function* unzlibNode(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const inflate = createInflate({ chunkSize: OUT_PIECE });
  // Bytes taken from `data`: once the stream ended, more than zlib consumed means trailing bytes.
  let fed = 0;
  async function* counted(): ByteStream {
    for await (const c of data) {
      fed += c.length;
      yield c;
    }
  }
  const src = Readable.from(counted(), { objectMode: false, highWaterMark: 1 });
  // Errors of the input are not the decoder's: they travel on tagged, and are rethrown unchanged.
  let upstream: { error: unknown } | undefined;
  src.on('error', (error) => { upstream = { error }; inflate.destroy(error); });
  const onAbort = (): void => { inflate.destroy(signal?.reason as Error); };
  signal?.addEventListener('abort', onAbort, { once: true });
  src.pipe(inflate);
  try {
    for await (const piece of inflate as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      yield new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
    }
    src.unpipe(inflate);
    if (fed > inflate.bytesWritten) throw corrupt('garbage after the zlib stream');
    // The input may go on past what was piped so far.
    for await (const rest of src as AsyncIterable<Buffer>) if (rest.length > 0) throw corrupt('garbage after the zlib stream');
    signal?.throwIfAborted();
  } catch (e) {
    if (upstream) throw upstream.error;
    if (signal?.aborted) throw signal.reason;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      if (fed === 0) throw corrupt('empty input', e);
      throw corrupt((e as Error).message === 'unexpected end of file' ? 'truncated input (unexpected end of file)' : (e as Error).message, e);
    }
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    src.destroy();
    inflate.destroy();
  }
}

const info = { kind: 'compressor', name: 'zlib', backend: 'node' } as const;

/** zlib streams (RFC 1950, Borg's `zlib`) on node:zlib, refusing bytes after the trailer. */
export const zlibNode: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unzlibNode }),
};
