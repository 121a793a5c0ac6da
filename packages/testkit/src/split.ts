import type { ByteStream } from '@qubes-backup/core';
import { prng } from './random.js';

export type Split = 'whole' | 'bytes' | 'random';

/**
 * The same bytes as one piece, as 1-byte pieces, or at random cut points (seeded; mostly large
 * pieces up to 70 000 bytes, one in five under 20), as views into `data`.
 */
export async function* pieces(data: Uint8Array, split: Split = 'whole', seed = 1): ByteStream {
  if (split === 'whole') { yield data; return; }
  if (split === 'bytes') { for (let i = 0; i < data.length; i++) yield data.subarray(i, i + 1); return; }
  const r = prng(seed);
  for (let o = 0; o < data.length;) {
    const n = 1 + Math.floor(r() * (r() < 0.2 ? 20 : 70_000));
    yield data.subarray(o, o + n);
    o += n;
  }
}

/**
 * The same bytes cut at the given sizes (cycled), each piece a copy at a non-zero `byteOffset`
 * of its buffer, so code that ignores byteOffset or assumes alignment fails.
 */
export async function* split(data: Uint8Array, sizes: readonly number[], byteOffset = 1): ByteStream {
  let o = 0;
  let i = 0;
  while (o < data.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, data.length - o);
    const buf = new Uint8Array(n + byteOffset);
    buf.set(data.subarray(o, o + n), byteOffset);
    yield buf.subarray(byteOffset);
    o += n;
  }
}

/** `split` at 64 seeded sizes from 1 to `max` (cycled). */
export function randomSplits(data: Uint8Array, seed: number, max = 4096, byteOffset = 1): ByteStream {
  const rnd = prng(seed);
  return split(data, Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * max)), byteOffset);
}

/** A stream of exactly these pieces. */
export async function* streamOf(...parts: Uint8Array[]): ByteStream {
  yield* parts;
}
