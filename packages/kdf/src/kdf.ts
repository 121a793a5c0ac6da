import type { Backend, Kdf, ReadOptions } from '@qubes-backup/core';
import { KDF_SPECS, type KdfName } from './algorithms.js';
import { checkHkdf, checkPbkdf2, checkScrypt, type HkdfParams, type Pbkdf2Params, type ScryptParams } from './params.js';

export type KdfDigest = 'sha256' | 'sha512';

/** What a backend supplies: the derivations on checked inputs that it may keep (copies). */
export interface KdfEngine {
  pbkdf2(digest: KdfDigest, secret: Uint8Array, params: Pbkdf2Params): Promise<Uint8Array>;
  hkdf(digest: KdfDigest, secret: Uint8Array, params: HkdfParams): Promise<Uint8Array>;
  scrypt(secret: Uint8Array, params: ScryptParams): Promise<Uint8Array>;
}

/**
 * Runs one derivation on the caller's behalf. An aborted signal is honoured before it starts and
 * again after it ends: neither node:crypto's thread pool nor @noble's loop can be stopped midway,
 * but a caller that gave up gets an AbortError, not a key it no longer wants. The secret copy is
 * wiped either way.
 */
async function run(secret: Uint8Array, signal: AbortSignal | undefined, work: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    signal?.throwIfAborted();
    const key = await work();
    if (signal?.aborted) {
      key.fill(0);
      signal.throwIfAborted();
    }
    return key;
  } finally {
    secret.fill(0);
  }
}

/** A Kdf plugin over a backend engine; arguments are checked before anything starts, alike on every backend. */
export function makeKdf(name: KdfName, backend: Backend, engine: KdfEngine): Kdf {
  const spec = KDF_SPECS[name];
  return {
    info: { kind: 'kdf', name, backend },
    async derive(secret, params, opts: ReadOptions = {}): Promise<Uint8Array> {
      if (spec.family === 'pbkdf2') {
        const c = checkPbkdf2(secret, params);
        return run(c.secret, opts.signal, () => engine.pbkdf2(spec.digest, c.secret, c.params));
      }
      if (spec.family === 'scrypt') {
        const c = checkScrypt(secret, params);
        return run(c.secret, opts.signal, () => engine.scrypt(c.secret, c.params));
      }
      const c = checkHkdf(spec, secret, params);
      return run(c.secret, opts.signal, () => engine.hkdf(spec.digest, c.secret, c.params));
    },
  };
}
