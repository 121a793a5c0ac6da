import type { PluginDescriptor, StreamCipher } from '@qubes-backup/core';
import { AES_CTR_NAMES, type AesCtrName } from './algorithms.js';
import { nobleCtr } from './noble.js';
import { makeAesCtr, type CtrEngine } from './stream-cipher.js';
import { webCryptoCtr } from './webcrypto.js';

/**
 * WebCrypto where it exists (browsers in secure contexts, Node ≥ 19: native and several times
 * faster), else @noble/ciphers. Chosen when a plugin is created, not at import; `runtime` is for tests.
 */
export function portableCtrEngine(runtime: { readonly crypto?: { readonly subtle?: SubtleCrypto } } = globalThis): CtrEngine {
  const subtle = runtime.crypto?.subtle;
  return subtle ? webCryptoCtr(subtle) : nobleCtr;
}

function descriptor(name: AesCtrName): PluginDescriptor<'stream-cipher'> {
  return {
    kind: 'stream-cipher', name, backend: 'portable',
    create: (): StreamCipher => makeAesCtr(name, 'portable', portableCtrEngine()),
  };
}

/** AES-256-CTR and AES-128-CTR without node:* modules (WebCrypto, or @noble/ciphers); runs in browsers. */
export const aesCtrPortable: readonly PluginDescriptor<'stream-cipher'>[] = AES_CTR_NAMES.map(descriptor);
