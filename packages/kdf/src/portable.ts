import { hkdf } from '@noble/hashes/hkdf.js';
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { Kdf, PluginDescriptor } from '@qubes-backup/core';
import { KDF_NAMES, type KdfName } from './algorithms.js';
import { makeKdf, type KdfEngine } from './kdf.js';
import { scryptMemory } from './params.js';

const HASHES = { sha256, sha512 } as const;

/**
 * How long (ms) PBKDF2 and scrypt may run before they yield to the event loop. Borg's 100 000
 * iterations take about half a second in pure JS, Wyng's scrypt seconds; yielding every 10 ms keeps
 * a page responsive meanwhile.
 */
export const PBKDF2_ASYNC_TICK_MS = 10;

const engine: KdfEngine = {
  pbkdf2: (digest, secret, { salt, iterations, length }) =>
    pbkdf2Async(HASHES[digest], secret, salt, { c: iterations, dkLen: length, asyncTick: PBKDF2_ASYNC_TICK_MS }),
  // HKDF costs one HMAC per HashLen of output (at most 255): no need to yield.
  hkdf: async (digest, secret, { salt, info, length }) => hkdf(HASHES[digest], secret, salt, info, length),
  // noble checks its own memory estimate (128 × r × (N + p)) against maxmem: the limit was already
  // enforced on the caller's arguments, so it is given exactly what they need.
  scrypt: (secret, { salt, cost, blockSize, parallelism, length }) => scryptAsync(secret, salt, {
    N: cost, r: blockSize, p: parallelism, dkLen: length, asyncTick: PBKDF2_ASYNC_TICK_MS,
    maxmem: scryptMemory(cost, blockSize, parallelism),
  }),
};

function descriptor(name: KdfName): PluginDescriptor<'kdf'> {
  return { kind: 'kdf', name, backend: 'portable', create: (): Kdf => makeKdf(name, 'portable', engine) };
}

/** PBKDF2-HMAC and HKDF over SHA-256 and SHA-512, and scrypt, in pure JS (@noble/hashes); runs in browsers. */
export const kdfPortable: readonly PluginDescriptor<'kdf'>[] = KDF_NAMES.map(descriptor);
