import type { CtrEngine } from './stream-cipher.js';

/** WebCrypto accepts only views of an ArrayBuffer (not of a SharedArrayBuffer): copy the others. */
function ownBuffer(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

/**
 * AES-CTR on WebCrypto (native code in browsers and Node). `length: 128` makes all 16 bytes of
 * the counter block the counter, so it wraps modulo 2^128 as OpenSSL's does; a smaller length
 * would keep the high bits fixed and differ once the low ones overflow.
 */
export function webCryptoCtr(subtle: SubtleCrypto): CtrEngine {
  return async (key, iv, data) => {
    const k = await subtle.importKey('raw', ownBuffer(key), { name: 'AES-CTR' }, false, ['decrypt']);
    return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter: ownBuffer(iv), length: 128 }, k, ownBuffer(data)));
  };
}
