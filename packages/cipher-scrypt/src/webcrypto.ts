import type { ScryptPrimitives } from './_primitives.js';

/**
 * The one-shot HMAC-SHA256 and AES-256-CTR of a WebCrypto `SubtleCrypto` (a browser page's
 * `crypto.subtle`; Node has the same API), for `scryptDescriptors`: in browsers over 1 GB/s against
 * about 50 MB/s for the pure-JS ones, and run off the page's thread.
 */
export function webCryptoPrimitives(subtle: SubtleCrypto): Required<Pick<ScryptPrimitives, 'hmacSha256Of' | 'aes256CtrOf'>> {
  // A unit's slices share one key object: imported once.
  const aesKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const aesKey = (key: Uint8Array): Promise<CryptoKey> => {
    let k = aesKeys.get(key);
    if (!k) aesKeys.set(key, k = subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-CTR', false, ['decrypt']));
    return k;
  };
  return {
    async hmacSha256Of(key, data) {
      const k = await subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', k, data as Uint8Array<ArrayBuffer>));
    },
    async aes256CtrOf(key, data, firstBlock) {
      const k = await aesKey(key);
      // The scrypt container's counter starts at zero and runs over all 128 bits (OpenSSL's CTR),
      // big-endian: `firstBlock` (below 2^53) in its last 8 bytes.
      const counter = new Uint8Array(16);
      new DataView(counter.buffer).setBigUint64(8, BigInt(firstBlock));
      return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter, length: 128 }, k, data as Uint8Array<ArrayBuffer>));
    },
  };
}
