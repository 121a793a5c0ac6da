import type { HashName } from './algorithms.js';

/** WebCrypto's names for the hashes it computes (it has no BLAKE2). */
const WEBCRYPTO_NAMES: Partial<Record<HashName, string>> = { sha256: 'SHA-256', sha512: 'SHA-512' };

/**
 * Below this many bytes an HMAC is computed at once: a WebCrypto call costs a round trip to
 * another thread (tens of microseconds), more than hashing a few KiB takes.
 */
export const OFF_THREAD_MIN = 16 << 10;

/** Imported keys kept for reuse: Borg alternates two (each chunk's MAC key and its id key). */
const KEPT_KEYS = 4;

/** WebCrypto accepts only views of an ArrayBuffer (not of a SharedArrayBuffer): copy the others. */
function ownBuffer(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

/**
 * HMAC on WebCrypto, which Node runs in its thread pool and browsers off the page's thread, or
 * undefined when the runtime lacks it (or the hash). The last few imported keys are kept for the
 * next calls with the same key bytes: a Borg restore keys every chunk's MAC and id with the same two keys.
 */
export function webCryptoHmac(name: HashName, runtime: { readonly crypto?: { readonly subtle?: SubtleCrypto } } = globalThis):
  ((key: Uint8Array, data: Uint8Array) => Promise<Uint8Array>) | undefined {
  const subtle = runtime.crypto?.subtle;
  const hash = WEBCRYPTO_NAMES[name];
  if (!subtle || !hash) return undefined;
  const kept: { key: Uint8Array; imported: Promise<CryptoKey> }[] = [];
  return async (key, data) => {
    let k = kept.find((x) => x.key.length === key.length && x.key.every((b, i) => b === key[i]));
    if (!k) {
      k = { key: new Uint8Array(key), imported: subtle.importKey('raw', ownBuffer(new Uint8Array(key)), { name: 'HMAC', hash }, false, ['sign']) };
      if (kept.unshift(k) > KEPT_KEYS) kept.pop();
    }
    return new Uint8Array(await subtle.sign('HMAC', await k.imported, ownBuffer(data)));
  };
}
