import { assertBytes, type Backend, type StreamCipher } from '@qubes-backup/core';
import { AES_CTR_IV_LENGTH, AES_CTR_KEY_LENGTHS, type AesCtrName } from './algorithms.js';

/**
 * AES-CTR over one whole message as a backend computes it, on checked arguments it may keep:
 * keystream block i is AES(key, iv + i), the sum taken modulo 2^128 (big-endian, the carry running
 * through all 16 bytes, as OpenSSL does). Resolves to a new array; `data` is not changed.
 */
export type CtrEngine = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Promise<Uint8Array>;

/**
 * A StreamCipher over a backend engine. Arguments are checked alike on every backend (a TypeError
 * for a non-Uint8Array, a RangeError for a wrong key or IV length), and key and IV are copied so a
 * caller that reuses its buffers while the promise is pending cannot change the result.
 */
export function makeAesCtr(name: AesCtrName, backend: Backend, engine: CtrEngine): StreamCipher {
  const keyLength = AES_CTR_KEY_LENGTHS[name];
  return {
    info: { kind: 'stream-cipher', name, backend },
    keyLength,
    ivLength: AES_CTR_IV_LENGTH,
    async decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
      assertBytes(key, 'key', keyLength);
      assertBytes(iv, 'iv', AES_CTR_IV_LENGTH);
      assertBytes(data, 'data');
      // new Uint8Array(x), not x.slice(): a Buffer's slice() is a view, and wiping it would wipe the caller's key.
      const k = new Uint8Array(key);
      try {
        return await engine(k, new Uint8Array(iv), data);
      } finally {
        k.fill(0);
      }
    },
  };
}
