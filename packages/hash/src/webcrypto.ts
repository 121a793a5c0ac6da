import type { HashName } from './algorithms.js';

/** WebCrypto's names for the hashes it computes (it has no BLAKE2). */
const WEBCRYPTO_NAMES: Partial<Record<HashName, string>> = { sha256: 'SHA-256', sha512: 'SHA-512' };

/**
 * Below this many bytes an HMAC is computed at once: a WebCrypto call costs a round trip to
 * another thread (tens of microseconds), more than hashing a few KiB takes.
 */
export const OFF_THREAD_MIN = 16 << 10;

/** WebCrypto accepts only views of an ArrayBuffer (not of a SharedArrayBuffer): copy the others. */
function ownBuffer(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

/**
 * HMAC on WebCrypto, which Node runs in its thread pool and browsers off the page's thread, or
 * undefined when the runtime lacks it (or the hash). The imported key is kept for the next call
 * with the same key bytes: a Borg restore keys every chunk's MAC and id with the same two keys.
 */
export function webCryptoHmac(name: HashName, runtime: { readonly crypto?: { readonly subtle?: SubtleCrypto } } = globalThis):
  ((key: Uint8Array, data: Uint8Array) => Promise<Uint8Array>) | undefined {
  const subtle = runtime.crypto?.subtle;
  const hash = WEBCRYPTO_NAMES[name];
  if (!subtle || !hash) return undefined;
  let last: { key: Uint8Array; imported: Promise<CryptoKey> } | undefined;
  return async (key, data) => {
    if (!last || last.key.length !== key.length || !last.key.every((b, i) => b === key[i])) {
      last = { key: new Uint8Array(key), imported: subtle.importKey('raw', ownBuffer(new Uint8Array(key)), { name: 'HMAC', hash }, false, ['sign']) };
    }
    return new Uint8Array(await subtle.sign('HMAC', await last.imported, ownBuffer(data)));
  };
}
