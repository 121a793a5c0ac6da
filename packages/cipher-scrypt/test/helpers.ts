import { createCipheriv, createHash, createHmac, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ByteStream } from '@qubes-backup/core';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface UnitFixture { file: string; logN: number; r: number; p: number; size: number; sha256: string }
export const manifest = JSON.parse(readFileSync(FIXTURES + 'manifest.json', 'utf8')) as {
  passphrase: string;
  units: UnitFixture[];
};
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const PASS = enc(manifest.passphrase);

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A small deterministic PRNG (xorshift32) for split points and test data. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

export function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** The same bytes as a stream cut at the given sizes (cycled), each piece at a non-zero byteOffset. */
export async function* split(data: Uint8Array, sizes: readonly number[]): ByteStream {
  let o = 0;
  let i = 0;
  while (o < data.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, data.length - o);
    const buf = new Uint8Array(n + 3);
    buf.set(data.subarray(o, o + n), 3);
    yield buf.subarray(3);
    o += n;
  }
}

export function randomSplits(data: Uint8Array, seed: number, max = 4096): ByteStream {
  const rnd = prng(seed);
  return split(data, Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * max)));
}

/** Drains a stream, returning its bytes, the largest piece, and how many bytes came before any error. */
export async function consume(stream: ByteStream): Promise<{ bytes: Uint8Array; maxPiece: number }> {
  const parts: Uint8Array[] = [];
  let maxPiece = 0;
  for await (const c of stream) { parts.push(c); maxPiece = Math.max(maxPiece, c.length); }
  return { bytes: new Uint8Array(Buffer.concat(parts)), maxPiece };
}

/** Consumes until the stream fails; returns the error and the plaintext bytes released before it. */
export async function failure(stream: ByteStream): Promise<{ error: unknown; released: number }> {
  let released = 0;
  try {
    for await (const c of stream) released += c.length;
  } catch (error) {
    return { error, released };
  }
  throw new Error('expected the stream to fail');
}

/**
 * A test-only `scrypt enc` writer (node:crypto) for inputs too large to commit; the committed
 * fixtures from the real CLI check that it matches the real layout.
 */
export function encryptUnit(plain: Uint8Array, pass: Uint8Array, logN = 10, r = 8, p = 1, salt = randomBytes(32, 7)): Uint8Array {
  const N = 2 ** logN;
  const dk = scryptSync(pass, salt, 64, { N, r, p, maxmem: 128 * N * r * p + 2 ** 26 });
  const head = new Uint8Array(96);
  head.set(enc('scrypt'), 0);
  head[7] = logN;
  const v = new DataView(head.buffer);
  v.setUint32(8, r);
  v.setUint32(12, p);
  head.set(salt, 16);
  head.set(createHash('sha256').update(head.subarray(0, 48)).digest().subarray(0, 16), 48);
  head.set(createHmac('sha256', dk.subarray(32)).update(head.subarray(0, 64)).digest(), 64);
  const c = createCipheriv('aes-256-ctr', dk.subarray(0, 32), new Uint8Array(16));
  const body = Buffer.concat([c.update(plain), c.final()]);
  const mac = createHmac('sha256', dk.subarray(32)).update(head).update(body).digest();
  return new Uint8Array(Buffer.concat([head, body, mac]));
}
