import { describe, expect, test } from '@jest/globals';
import { Xxh64, xxh64 } from '@qubes-backup/codec-zstd';
import { prng as rng } from '@qubes-backup/testkit';

/** A direct BigInt transcription of the XXH64 specification, as an independent reference. */
function reference(data: Uint8Array, seed = 0n): bigint {
  const M = (1n << 64n) - 1n;
  const P1 = 0x9e3779b185ebca87n, P2 = 0xc2b2ae3d27d4eb4fn, P3 = 0x165667b19e3779f9n, P4 = 0x85ebca77c2b2ae63n, P5 = 0x27d4eb2f165667c5n;
  const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
  const u64 = (i: number): bigint => { let v = 0n; for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(data[i + k]!); return v; };
  const u32 = (i: number): bigint => BigInt((data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0);
  const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & M, 31n) * P1) & M;
  const merge = (acc: bigint, val: bigint): bigint => (((acc ^ round(0n, val)) * P1) + P4) & M;
  let p = 0;
  let h: bigint;
  if (data.length >= 32) {
    let v1 = (seed + P1 + P2) & M, v2 = (seed + P2) & M, v3 = seed, v4 = (seed - P1) & M;
    for (; p + 32 <= data.length; p += 32) {
      v1 = round(v1, u64(p)); v2 = round(v2, u64(p + 8)); v3 = round(v3, u64(p + 16)); v4 = round(v4, u64(p + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(data.length)) & M;
  for (; p + 8 <= data.length; p += 8) h = ((rotl(h ^ round(0n, u64(p)), 27n) * P1) + P4) & M;
  if (p + 4 <= data.length) { h = ((rotl(h ^ ((u32(p) * P1) & M), 23n) * P2) + P3) & M; p += 4; }
  for (; p < data.length; p++) h = (rotl(h ^ ((BigInt(data[p]!) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n; h = (h * P2) & M; h ^= h >> 29n; h = (h * P3) & M; h ^= h >> 32n;
  return h;
}

describe('XXH64', () => {
  test('published vectors', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(xxh64(enc(''))).toBe(0xef46db3751d8e999n);
    expect(xxh64(enc('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxh64(enc('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  test('matches the BigInt reference for every length 0..300, whole and split at random', () => {
    const r = rng(42);
    const data = new Uint8Array(300).map(() => Math.floor(r() * 256));
    for (let n = 0; n <= 300; n++) {
      const d = data.subarray(0, n);
      const want = reference(d);
      expect(xxh64(d)).toBe(want);
      const h = new Xxh64();
      for (let o = 0; o < n;) { const k = 1 + Math.floor(r() * 40); h.update(d.subarray(o, o + k)); o += k; }
      expect(h.digest()).toBe(want);
    }
  });

  test('seeds, and inputs with bytes ≥ 0x80 everywhere', () => {
    const d = new Uint8Array(1000).fill(0xff);
    for (const seed of [0, 1, 0x9e3779b1, 0xffffffff]) expect(xxh64(d, seed)).toBe(reference(d, BigInt(seed)));
  });
});
