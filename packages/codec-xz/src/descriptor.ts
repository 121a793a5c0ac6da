import type { Compressor, PluginDescriptor } from '@qubes-backup/core';
import { unxz } from './unxz.js';

const info = { kind: 'compressor', name: 'xz', backend: 'portable' } as const;

/** xz on xz-decompress (wasm; WHATWG streams, which browsers and Node ≥ 18 have as globals). */
export const xzPortable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unxz }),
};
