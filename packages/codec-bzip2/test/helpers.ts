// Test helpers: fixtures, the same bytes cut three ways, and a collector that records piece sizes.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ByteStream } from '@qubes-backup/core';

export const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** `sums.txt`: name → { size, sha256 } of the decompressed content (written by make.sh). */
export function sums(): Map<string, { size: number; sha256: string }> {
  const m = new Map<string, { size: number; sha256: string }>();
  for (const line of new TextDecoder().decode(fixture('sums.txt')).split('\n')) {
    const [name, size, sha256] = line.trim().split(' ');
    if (name && size && sha256) m.set(name, { size: Number(size), sha256 });
  }
  return m;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A deterministic PRNG (xorshift32) for random splits that reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

export type Split = 'whole' | 'bytes' | 'random';

/** The same bytes as one piece, as 1-byte pieces, or at random cut points (seeded). */
export async function* pieces(data: Uint8Array, split: Split = 'whole', seed = 1): ByteStream {
  if (split === 'whole') { yield data; return; }
  if (split === 'bytes') { for (let i = 0; i < data.length; i++) yield data.subarray(i, i + 1); return; }
  const r = rng(seed);
  for (let o = 0; o < data.length;) {
    const n = 1 + Math.floor(r() * (r() < 0.2 ? 20 : 70_000));
    yield data.subarray(o, o + n);
    o += n;
  }
}

export interface Collected { size: number; sha256: string; maxPiece: number; pieces: number; bytes?: Uint8Array }

/** Drains a stream, hashing it; keeps the bytes only when asked (small outputs). */
export async function drainHashed(stream: ByteStream, keep = false): Promise<Collected> {
  const h = createHash('sha256');
  const kept: Uint8Array[] = [];
  let size = 0, maxPiece = 0, n = 0;
  for await (const c of stream) {
    if (!(c instanceof Uint8Array)) throw new TypeError('not a Uint8Array');
    h.update(c); size += c.length; n++; maxPiece = Math.max(maxPiece, c.length);
    if (keep) kept.push(c.slice());
  }
  const out: Collected = { size, sha256: h.digest('hex'), maxPiece, pieces: n };
  if (keep) out.bytes = Buffer.concat(kept);
  return out;
}

/** A copy with bits flipped at `at`. */
export function flip(data: Uint8Array, at: number, mask = 0x10): Uint8Array {
  const c = data.slice();
  c[at] = c[at]! ^ mask;
  return c;
}

/**
 * Bytes in ArrayBuffers that are still reachable: a full GC first, so garbage that V8 has not
 * collected yet does not count (sampling without it measured up to ~115 MB of garbage).
 */
export function liveArrayBuffers(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().arrayBuffers;
}
