import { createHash, createHmac } from 'node:crypto';
import type { Hash, PluginDescriptor } from '@qubes-backup/core';
import type { HashName } from './algorithms.js';
import { makeHash, type HashEngine } from './hash.js';

/**
 * The names node:crypto computes. Not blake2b-256: OpenSSL's `blake2b512` has a fixed 64-byte
 * digest, and truncating it is not BLAKE2b-256; the registry falls back to the portable one.
 */
export const NODE_HASH_NAMES = ['sha256', 'sha512'] as const satisfies readonly HashName[];

type NodeHashName = (typeof NODE_HASH_NAMES)[number];

function engine(name: NodeHashName): HashEngine {
  return {
    create() {
      const h = createHash(name);
      return { update: (d) => { h.update(d); }, digest: () => h.digest() };
    },
    hmac(key) {
      const h = createHmac(name, key);
      return { update: (d) => { h.update(d); }, digest: () => h.digest() };
    },
  };
}

// No WebCrypto for `hmacOf`: on Node it is the same OpenSSL behind a costlier call (it copies the
// input and allocates per call on the main thread); measured on a Borg restore of 1 GiB, main-thread
// time rose 30 % with it. node:crypto's HMAC at once is the faster way here.
function descriptor(name: NodeHashName): PluginDescriptor<'hash'> {
  return { kind: 'hash', name, backend: 'node', create: (): Hash => makeHash(name, 'node', engine(name)) };
}

/** sha256 and sha512 on node:crypto (OpenSSL): several times faster than the portable ones. */
export const hashNode: readonly PluginDescriptor<'hash'>[] = NODE_HASH_NAMES.map(descriptor);

export { fingerprintNode } from './fingerprint-node.js';
