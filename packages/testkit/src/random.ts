import { randomInt } from 'node:crypto';

/** A deterministic PRNG (xorshift32) in [0, 1), so random splits and data reproduce. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/** A second, independent generator (LCG); the format tests' pipe cut points were recorded with it. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

export function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/**
 * The seed of a randomized test: `fallback` unless the environment variable `name` is set (a number
 * replays a run; `random` draws a fresh seed to explore). Runs are reproducible by default; put the
 * seed in the test's name, so a failure says how to replay it.
 */
export function testSeed(fallback: number, name = 'PRIMITIVES_SEED'): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'random') return randomInt(2 ** 31);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer or 'random', got '${v}'`);
  return n;
}
