import { hkdf, pbkdf2, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import type { Kdf, PluginDescriptor } from '@qubes-backup/core';
import { KDF_NAMES, type KdfName } from './algorithms.js';
import { makeKdf, type KdfEngine } from './kdf.js';
import { scryptMemory } from './params.js';
import { PBKDF2_ASYNC_TICK_MS } from './portable.js';

const pbkdf2Async = promisify(pbkdf2);
const hkdfAsync = promisify(hkdf);

/** Runs in libuv's thread pool (OpenSSL), so the event loop stays free while PBKDF2 iterates. */
const engine: KdfEngine = {
  async pbkdf2(digest, secret, { salt, iterations, length }) {
    const b = await pbkdf2Async(secret, salt, iterations, length, digest);
    // A plain Uint8Array, as the portable backend gives (a Buffer's slice() is a view, not a copy);
    // the Buffer is wiped so that one copy of the key remains.
    const key = new Uint8Array(b);
    b.fill(0);
    return key;
  },
  // node's hkdf resolves to an ArrayBuffer, not a Buffer.
  hkdf: async (digest, secret, { salt, info, length }) => new Uint8Array(await hkdfAsync(digest, secret, salt, info, length)),
  async scrypt(secret, { salt, cost, blockSize, parallelism, length }) {
    const memory = scryptMemory(cost, blockSize, parallelism);
    // OpenSSL refuses N >= 2^(16 r), an RFC 7914 rule that only r = 1 can meet; @noble computes it.
    if (Math.log2(cost) >= 16 * blockSize) {
      return scryptAsync(secret, salt, { N: cost, r: blockSize, p: parallelism, dkLen: length, maxmem: memory, asyncTick: PBKDF2_ASYNC_TICK_MS });
    }
    const b = await new Promise<Buffer>((resolve, reject) => {
      // node:crypto's default maxmem is 32 MiB; the limit was enforced on the arguments already.
      scrypt(secret, salt, length, { N: cost, r: blockSize, p: parallelism, maxmem: memory + (1 << 20) }, (err, key) => {
        if (err) reject(err); else resolve(key);
      });
    });
    const key = new Uint8Array(b);
    b.fill(0);
    return key;
  },
};

function descriptor(name: KdfName): PluginDescriptor<'kdf'> {
  return { kind: 'kdf', name, backend: 'node', create: (): Kdf => makeKdf(name, 'node', engine) };
}

/** PBKDF2-HMAC and HKDF over SHA-256 and SHA-512, and scrypt, on node:crypto (OpenSSL, off the main thread). */
export const kdfNode: readonly PluginDescriptor<'kdf'>[] = KDF_NAMES.map(descriptor);
