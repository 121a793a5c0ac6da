import { createInflate } from 'node:zlib';
import { throughZlib } from './_node-stream.js';
import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { corruptZlib as corrupt } from './errors.js';

/** zlib's output piece size (its default is 16 KiB; bigger pieces mean fewer awaits). */
const OUT_PIECE = 64 * 1024;

/**
 * A zlib stream (RFC 1950: 2-byte header, deflate data, Adler-32 of the output) with node:zlib,
 * which checks the header and the Adler-32. node:zlib stops at the end of the deflate data and
 * drops whatever follows without a word; here any byte after the trailer is an error.
 */
export function unzlibNode(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const inflate = createInflate({ chunkSize: OUT_PIECE });
  // Bytes taken from `data`: once the stream ended, more than zlib consumed means trailing bytes.
  let fed = 0;
  async function* counted(): ByteStream {
    for await (const c of data) {
      fed += c.length;
      yield c;
    }
  }
  return throughZlib(counted(), inflate, opts, {
    corrupt,
    empty: () => fed === 0,
    async finish(src) {
      src.unpipe(inflate);
      if (fed > inflate.bytesWritten) throw corrupt('garbage after the zlib stream');
      // The input may go on past what was piped so far.
      for await (const rest of src as AsyncIterable<Buffer>) if (rest.length > 0) throw corrupt('garbage after the zlib stream');
    },
  });
}

const info = { kind: 'compressor', name: 'zlib', backend: 'node' } as const;

/** zlib streams (RFC 1950, Borg's `zlib`) on node:zlib, refusing bytes after the trailer. */
export const zlibNode: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unzlibNode }),
};
