import type { Compressor, PluginDescriptor } from '@qubes-backup/core';
import { unlzma } from './unlzma.js';

const info = { kind: 'compressor', name: 'lzma', backend: 'portable' } as const;

/** Legacy `.lzma` (LZMA_Alone), pure TypeScript. */
export const lzmaPortable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unlzma }),
};
