import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';

/** Largest piece handed downstream; bigger input pieces are cut (without copying). */
const MAX_PIECE = 1 << 20;

/** The bytes as they are, cut into pieces of at most 1 MiB. */
export async function* passThrough(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  for await (const chunk of data) {
    for (let o = 0; o < chunk.length; o += MAX_PIECE) {
      opts.signal?.throwIfAborted();
      yield chunk.subarray(o, Math.min(chunk.length, o + MAX_PIECE));
    }
  }
}

/**
 * The identity decoder: for `compressed=False` backups, and for a forced pass-through filter
 * (`cat`; a backup made with `compression-filter=less` is really uncompressed).
 */
export const nonePortable: PluginDescriptor<'compressor'> = {
  kind: 'compressor',
  name: 'none',
  aliases: ['cat'],
  backend: 'portable',
  create(): Compressor {
    return { info: { kind: 'compressor', name: 'none', aliases: ['cat'], backend: 'portable' }, decompress: passThrough };
  },
};
