import { createGunzip, crc32 as zlibCrc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { corrupt } from './errors.js';
import { crc32Hash } from './crc32-hash.js';

/** zlib's output piece size (its default is 16 KiB; bigger pieces mean fewer awaits). */
const OUT_PIECE = 64 * 1024;

/**
 * gunzip with node:zlib: checks each member's CRC-32 and length, decodes concatenated members
 * (pigz, `cat a.gz b.gz`), and like GNU gzip ignores zero bytes after the last member.
 */
export async function* gunzipNode(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const gz = createGunzip({ chunkSize: OUT_PIECE });
  const src = Readable.from(data, { objectMode: false, highWaterMark: 1 });
  // Errors of the input are not the decoder's: they travel on tagged, and are rethrown unchanged.
  let upstream: { error: unknown } | undefined;
  src.on('error', (error) => { upstream = { error }; gz.destroy(error); });
  const onAbort = (): void => { gz.destroy(signal?.reason as Error); };
  signal?.addEventListener('abort', onAbort, { once: true });
  src.pipe(gz);
  try {
    for await (const piece of gz as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      yield new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
    }
  } catch (e) {
    if (upstream) throw upstream.error;
    if (signal?.aborted) throw signal.reason;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw corrupt((e as Error).message === 'unexpected end of file' ? 'truncated input (unexpected end of file)' : (e as Error).message, e);
    }
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    src.destroy();
    gz.destroy();
  }
}

export { unzlibNode, zlibNode } from './zlib-node.js';

/** CRC-32 on node:zlib (zlib's own, with SIMD where the CPU has it). */
export const crc32Node: PluginDescriptor<'hash'> = {
  kind: 'hash', name: 'crc32', backend: 'node', create: () => crc32Hash((d, c) => zlibCrc32(d, c), 'node'),
};

const info = { kind: 'compressor', name: 'gzip', aliases: ['pigz'], backend: 'node' } as const;

/** gzip/pigz on node:zlib (the fast one: about 1.4× fflate). */
export const gzipNode: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: gunzipNode }),
};
