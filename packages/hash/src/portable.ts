import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { createHasher } from '@noble/hashes/utils.js';
import type { Hash, PluginDescriptor } from '@qubes-backup/core';
import { HASH_NAMES, type HashName } from './algorithms.js';
import { makeHash, type HashEngine } from './hash.js';
import { webCryptoHmac } from './webcrypto.js';

/**
 * BLAKE2b with a 32-byte digest as a hash of its own: `hmac` calls `create()` without options, so
 * the digest length must be fixed in the constructor for HMAC to key BLAKE2b-256, not BLAKE2b-512.
 */
const blake2b256 = createHasher(() => blake2b.create({ dkLen: 32 }));

const NOBLE = { sha256, sha512, 'blake2b-256': blake2b256 } as const;

function engine(name: HashName): HashEngine {
  const h = NOBLE[name];
  return {
    create: () => h.create(),
    hmac: (key) => hmac.create(h, key),
  };
}

function descriptor(name: HashName): PluginDescriptor<'hash'> {
  return { kind: 'hash', name, backend: 'portable', create: (): Hash => makeHash(name, 'portable', engine(name), webCryptoHmac(name)) };
}

/**
 * sha256, sha512 and blake2b-256 in pure JS (@noble/hashes); runs in browsers. `hmacOf` of a large
 * input uses WebCrypto where the runtime has it: native, and off the page's thread.
 */
export const hashPortable: readonly PluginDescriptor<'hash'>[] = HASH_NAMES.map(descriptor);
