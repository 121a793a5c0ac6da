/** A one-shot hash (MD5 or SHA-256 here). */
export type HashFn = (data: Uint8Array) => Uint8Array;

/**
 * OpenSSL's EVP_BytesToKey with count 1: D1 = H(pass‖salt), Di = H(D(i-1)‖pass‖salt), and
 * key‖iv is the concatenation D1‖D2‖… cut to keyLength + ivLength.
 */
export function evpBytesToKey(
  hash: HashFn,
  passphrase: Uint8Array,
  salt: Uint8Array,
  keyLength: number,
  ivLength: number,
): { key: Uint8Array; iv: Uint8Array } {
  const out = new Uint8Array(keyLength + ivLength);
  let prev: Uint8Array = new Uint8Array(0);
  let o = 0;
  while (o < out.length) {
    const input = new Uint8Array(prev.length + passphrase.length + salt.length);
    input.set(prev, 0);
    input.set(passphrase, prev.length);
    input.set(salt, prev.length + passphrase.length);
    prev.fill(0);
    prev = hash(input);
    input.fill(0);
    const k = Math.min(prev.length, out.length - o);
    out.set(prev.subarray(0, k), o);
    o += k;
  }
  prev.fill(0);
  return { key: out.subarray(0, keyLength), iv: out.subarray(keyLength) };
}
