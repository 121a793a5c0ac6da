import type { Compressor, PluginDescriptor } from '@qubes-backup/core';
import { lz4BlockDecode } from './decode.js';

const info = { kind: 'compressor', name: 'lz4', backend: 'portable' } as const;

/** Raw LZ4 blocks (Borg 1.x's `lz4` compression) in pure TypeScript, with the default output limit. */
export const lz4Portable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: lz4BlockDecode }),
};
