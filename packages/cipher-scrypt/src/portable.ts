import { scryptAsync } from '@noble/hashes/scrypt.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ctr } from '@noble/ciphers/aes.js';
import { addToCounter128 } from '@qubes-backup/core';
import type { ScryptPrimitives } from './_primitives.js';
import { DerivationScheduler } from './scheduler.js';
import { scryptDescriptors, scryptFactories } from './api.js';

/**
 * Pure-JS primitives (@noble). The KDF is noble's scryptAsync, which yields to the event loop every
 * 10 ms and measured about twice as fast as scrypt-js (deps.md §4.1: 11.4 s vs 22.6 s at logN 20).
 */
export const scryptPrimitivesPortable: ScryptPrimitives = {
  backend: 'portable',
  // @noble runs on the calling thread: two derivations at once would take turns and hold twice the memory.
  scheduler: new DerivationScheduler({ cores: 1, memory: Number.MAX_SAFE_INTEGER }),
  scrypt(pass, salt, N, r, p, signal) {
    return scryptAsync(pass, salt, {
      N, r, p, dkLen: 64,
      maxmem: 128 * N * r * p + 128 * r * (p + 2),
      ...(signal ? { onProgress: () => signal.throwIfAborted() } : {}),
    });
  },
  hmacSha256(key) {
    const h = hmac.create(sha256, key);
    return { update: (d) => { h.update(d); }, digest: () => h.digest() };
  },
  aes256Ctr(key) {
    const counter = new Uint8Array(16);
    return {
      update(piece) {
        const out = ctr(key, counter.slice()).decrypt(piece);
        addToCounter128(counter, Math.ceil(piece.length / 16));
        return out;
      },
    };
  },
};

/** `scrypt` as a Cipher and as the format-4 header Mac (pure JS; runs in browsers). */
export const { cipher: scryptCipherPortable, mac: scryptMacPortable } = scryptDescriptors(scryptPrimitivesPortable);

/** The factories with the portable backend only (this entry point never loads node:*). */
export const { createScryptCipher, createScryptMac, deriveScryptKeys } = scryptFactories({ portable: scryptPrimitivesPortable }, 'portable');
