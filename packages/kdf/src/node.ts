import { hkdf, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kdf, PluginDescriptor } from '@qubes-backup/core';
import { KDF_NAMES, type KdfName } from './algorithms.js';
import { makeKdf, type KdfEngine } from './kdf.js';

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
};

function descriptor(name: KdfName): PluginDescriptor<'kdf'> {
  return { kind: 'kdf', name, backend: 'node', create: (): Kdf => makeKdf(name, 'node', engine) };
}

/** PBKDF2-HMAC and HKDF over SHA-256 and SHA-512 on node:crypto (OpenSSL, off the main thread). */
export const kdfNode: readonly PluginDescriptor<'kdf'>[] = KDF_NAMES.map(descriptor);
