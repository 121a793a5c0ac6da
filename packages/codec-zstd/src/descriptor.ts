import type { Compressor, PluginDescriptor } from '@qubes-backup/core';
import { unzstd } from './unzstd.js';

const info = { kind: 'compressor', name: 'zstd', aliases: ['zstdmt'], backend: 'portable' } as const;

/** zstd/zstdmt on fzstd (pure JS), with our frame checks. */
export const zstdPortable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unzstd }),
};
