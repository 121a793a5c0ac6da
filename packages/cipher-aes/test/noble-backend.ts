import type { PluginDescriptor } from '@qubes-backup/core';
import { AES_CTR_NAMES } from '../src/index.js';
import { nobleCtr } from '../src/noble.js';
import { makeAesCtr } from '../src/stream-cipher.js';

/** The portable backend as it runs where WebCrypto is missing (an http page): @noble/ciphers. */
export const aesCtrNoble: readonly PluginDescriptor<'stream-cipher'>[] = AES_CTR_NAMES.map((name) => ({
  kind: 'stream-cipher', name, backend: 'portable',
  create: () => makeAesCtr(name, 'portable', nobleCtr),
}));
