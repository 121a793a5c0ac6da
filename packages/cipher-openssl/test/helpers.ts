import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ByteStream } from '@qubes-backup/core';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

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

/** The same bytes cut at the given sizes (cycled), each piece at a non-zero byteOffset. */
export async function* split(data: Uint8Array, sizes: readonly number[]): ByteStream {
  let o = 0;
  let i = 0;
  while (o < data.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, data.length - o);
    const buf = new Uint8Array(n + 1);
    buf.set(data.subarray(o, o + n), 1);
    yield buf.subarray(1);
    o += n;
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export async function consume(stream: ByteStream): Promise<{ bytes: Uint8Array; maxPiece: number }> {
  const parts: Uint8Array[] = [];
  let maxPiece = 0;
  for await (const c of stream) { parts.push(c); maxPiece = Math.max(maxPiece, c.length); }
  return { bytes: new Uint8Array(Buffer.concat(parts)), maxPiece };
}

export async function failure(stream: ByteStream): Promise<unknown> {
  try {
    for await (const _ of stream) { /* drain */ }
  } catch (error) {
    return error;
  }
  throw new Error('expected the stream to fail');
}

export function randomSplits(data: Uint8Array, seed: number, max = 4096): ByteStream {
  const rnd = prng(seed);
  return split(data, Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * max)));
}
