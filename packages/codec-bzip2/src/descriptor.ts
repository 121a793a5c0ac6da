import type { Compressor, PluginDescriptor } from '@qubes-backup/core';
import { bunzip2 } from './bunzip2.js';

const info = { kind: 'compressor', name: 'bzip2', aliases: ['pbzip2'], backend: 'portable' } as const;

/** bzip2/pbzip2 on unbzip2-stream's decoder core (pure JS, no node:* imports, no Buffer). */
export const bzip2Portable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: bunzip2 }),
};
