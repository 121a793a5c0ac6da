/** Adler-32's modulus: the largest prime below 2^16. */
const BASE = 65521;
/**
 * Bytes summed before reducing: zlib's NMAX is 5552 (the most that keeps the sums within 32 bits
 * unsigned); 3800 keeps them under 2^31, where V8's optimized code stays on int32 arithmetic.
 */
const RUN = 3800;

/** Continues an Adler-32 (RFC 1950, the zlib trailer): start with `adler32(bytes)`, then `adler32(more, previous)`. */
export function adler32(b: Uint8Array, previous = 1): number {
  let a = previous & 0xffff;
  let s = previous >>> 16;
  const n = b.length;
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + RUN);
    for (; i < end; i++) {
      a += b[i]!;
      s += a;
    }
    a %= BASE;
    s %= BASE;
  }
  return ((s << 16) | a) >>> 0;
}
