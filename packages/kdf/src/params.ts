import { assertBytes, assertSafeInteger } from '@qubes-backup/core';
import type { KdfSpec } from './algorithms.js';

/**
 * Upper bound for PBKDF2 iterations. Borg 1.x key files use 100 000; a header that asks for more
 * than 10 million (seconds of CPU in Node, far more in a browser) is refused rather than obeyed.
 */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** Upper bound for PBKDF2 output: keys are tens of bytes; more is a mistake, not a use. */
export const MAX_PBKDF2_LENGTH = 1024;
/**
 * Upper bound for HKDF `info`. RFC 5869 sets none, but node:crypto refuses more than 1024 bytes;
 * both backends refuse it alike rather than let a derivation work on one and fail on the other.
 */
export const MAX_HKDF_INFO = 1024;
/** RFC 5869 section 2.3: L <= 255 * HashLen. */
export const maxHkdfLength = (spec: KdfSpec): number => 255 * spec.hashLength;

/**
 * Upper bound for the memory one scrypt derivation takes (`scryptMemory`): 2 GiB. Wyng's N = 2^19,
 * r = 8 takes 512 MiB; a caller asking for more than this is refused rather than let it exhaust
 * the machine (node:crypto would need a matching `maxmem`, a browser tab would die).
 */
export const MAX_SCRYPT_MEMORY = 2 * 1024 ** 3;
/** Upper bound for scrypt's p: each unit repeats the whole N × r work; RFC 7914 examples use 1 and 16. */
export const MAX_SCRYPT_PARALLELISM = 64;

/**
 * Bytes one scrypt derivation holds: its V array (128 × r × N) and B blocks (128 × r × p), plus
 * two blocks of work space (OpenSSL counts 128 × r × (N + 2) for V).
 */
export const scryptMemory = (cost: number, blockSize: number, parallelism: number): number => 128 * blockSize * (cost + parallelism + 2);

export interface Pbkdf2Params {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly length: number;
}

export interface HkdfParams {
  readonly salt: Uint8Array;
  readonly info: Uint8Array;
  readonly length: number;
}

export interface ScryptParams {
  readonly salt: Uint8Array;
  /** N: a power of two, at least 2. */
  readonly cost: number;
  /** r. */
  readonly blockSize: number;
  /** p. */
  readonly parallelism: number;
  readonly length: number;
}

function assertParams(params: unknown): asserts params is Record<string, unknown> {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
}

/**
 * Checks PBKDF2 arguments and copies the byte inputs (new Uint8Array: a Buffer's slice() is a view, and
 * the secret's copy is wiped): the derivation runs asynchronously, and a
 * caller that reuses its buffers meanwhile must not change the result on one backend only.
 */
export function checkPbkdf2(secret: unknown, params: unknown): { secret: Uint8Array; params: Pbkdf2Params } {
  assertBytes(secret, 'secret');
  assertParams(params);
  const { salt, iterations, length } = params;
  assertBytes(salt, 'params.salt');
  assertSafeInteger(iterations, 'params.iterations', 1, MAX_PBKDF2_ITERATIONS);
  assertSafeInteger(length, 'params.length', 1, MAX_PBKDF2_LENGTH);
  return { secret: new Uint8Array(secret), params: { salt: new Uint8Array(salt), iterations, length } };
}

/** Checks HKDF arguments (an empty salt means HashLen zeros, as RFC 5869 says) and copies the bytes. */
export function checkHkdf(spec: KdfSpec, secret: unknown, params: unknown): { secret: Uint8Array; params: HkdfParams } {
  assertBytes(secret, 'secret');
  assertParams(params);
  const { salt, info = new Uint8Array(0), length } = params;
  assertBytes(salt, 'params.salt');
  assertBytes(info, 'params.info');
  if (info.length > MAX_HKDF_INFO) {
    throw new RangeError(`params.info must be at most ${MAX_HKDF_INFO} bytes, got ${info.length}`);
  }
  assertSafeInteger(length, 'params.length', 1, maxHkdfLength(spec));
  return { secret: new Uint8Array(secret), params: { salt: new Uint8Array(salt), info: new Uint8Array(info), length } };
}

/** Checks scrypt arguments (N a power of two, memory within `MAX_SCRYPT_MEMORY`) and copies the bytes. */
export function checkScrypt(secret: unknown, params: unknown): { secret: Uint8Array; params: ScryptParams } {
  assertBytes(secret, 'secret');
  assertParams(params);
  const { salt, cost, blockSize, parallelism, length } = params;
  assertBytes(salt, 'params.salt');
  assertSafeInteger(cost, 'params.cost', 2, 2 ** 32);
  if ((cost & (cost - 1)) !== 0) throw new RangeError(`params.cost must be a power of two, got ${cost}`);
  assertSafeInteger(blockSize, 'params.blockSize', 1, 1024);
  assertSafeInteger(parallelism, 'params.parallelism', 1, MAX_SCRYPT_PARALLELISM);
  assertSafeInteger(length, 'params.length', 1, MAX_PBKDF2_LENGTH);
  const memory = scryptMemory(cost, blockSize, parallelism);
  if (memory > MAX_SCRYPT_MEMORY) {
    throw new RangeError(`scrypt with N = ${cost}, r = ${blockSize}, p = ${parallelism} needs ${memory} bytes, more than ${MAX_SCRYPT_MEMORY}`);
  }
  return { secret: new Uint8Array(secret), params: { salt: new Uint8Array(salt), cost, blockSize, parallelism, length } };
}
