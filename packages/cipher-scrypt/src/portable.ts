import { scryptAsync } from '@noble/hashes/scrypt.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ctr } from '@noble/ciphers/aes.js';
import { addToCounter128, type Cipher, type Mac, type PluginDescriptor } from '@qubes-backup/core';
import { makeScryptCipher } from './cipher.js';
import { makeScryptMac } from './mac.js';
import type { ScryptPrimitives } from './_primitives.js';
import { scryptFactories } from './api.js';

/**
 * Pure-JS primitives (@noble). The KDF is noble's scryptAsync, which yields to the event loop every
 * 10 ms and measured about twice as fast as scrypt-js (deps.md §4.1: 11.4 s vs 22.6 s at logN 20).
 */
export const scryptPrimitivesPortable: ScryptPrimitives = {
  backend: 'portable',
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

/** `scrypt` as a Cipher (pure JS; runs in browsers). */
export const scryptCipherPortable: PluginDescriptor<'cipher'> = {
  kind: 'cipher', name: 'scrypt', backend: 'portable',
  create: (): Cipher => makeScryptCipher(scryptPrimitivesPortable),
};

/** `scrypt` as the format-4 header Mac (pure JS). */
export const scryptMacPortable: PluginDescriptor<'mac'> = {
  kind: 'mac', name: 'scrypt', backend: 'portable',
  create: (): Mac => makeScryptMac(scryptPrimitivesPortable),
};

/** The factories with the portable backend only (this entry point never loads node:*). */
export const { createScryptCipher, createScryptMac, deriveScryptKeys } = scryptFactories({ portable: scryptPrimitivesPortable }, 'portable');
