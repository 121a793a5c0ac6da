import { assertBytes, type Backend, type Hash } from '@qubes-backup/core';
import { HASH_SPECS, type HashName } from './algorithms.js';
import { OFF_THREAD_MIN } from './webcrypto.js';

/** One incremental computation as a backend gives it: no argument checks, any Uint8Array out. */
export interface RawState {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** What a backend supplies for one hash: fresh plain and keyed (HMAC) states. */
export interface HashEngine {
  create(): RawState;
  hmac(key: Uint8Array): RawState;
}

type State = ReturnType<Hash['create']>;

/**
 * Wraps a backend state so that every backend fails the same way: a non-Uint8Array input is a
 * TypeError, any use after `digest` an Error (node:crypto and @noble/hashes word these
 * differently), and the digest is a plain Uint8Array of the advertised length (never a Buffer,
 * which compares unequal to a Uint8Array in deep-equality checks).
 */
function checked(name: HashName, raw: RawState): State {
  let done = false;
  const live = (): void => {
    if (done) throw new Error(`${name}: digest() was already called; create a new state`);
  };
  return {
    update(data: Uint8Array): void {
      live();
      assertBytes(data, 'data');
      raw.update(data);
    },
    digest(): Uint8Array {
      live();
      done = true;
      const d = raw.digest();
      const out = Object.getPrototypeOf(d) === Uint8Array.prototype ? d : new Uint8Array(d);
      if (out.length !== HASH_SPECS[name].outputLength) {
        throw new Error(`${name}: backend returned ${out.length} bytes, expected ${HASH_SPECS[name].outputLength}`);
      }
      return out;
    },
  };
}

/**
 * A Hash plugin over a backend engine, with the same argument checks on every backend. `offThread`
 * computes large one-shot HMACs elsewhere (the portable backend's WebCrypto); without it `hmacOf`
 * computes them at once.
 */
export function makeHash(name: HashName, backend: Backend, engine: HashEngine, offThread?: (key: Uint8Array, data: Uint8Array) => Promise<Uint8Array>): Hash {
  return {
    info: { kind: 'hash', name, backend },
    outputLength: HASH_SPECS[name].outputLength,
    create: () => checked(name, engine.create()),
    hmac(key: Uint8Array) {
      assertBytes(key, 'key');
      return checked(name, engine.hmac(key));
    },
    async hmacOf(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
      assertBytes(key, 'key');
      assertBytes(data, 'data');
      if (offThread && data.length >= OFF_THREAD_MIN) return offThread(key, data);
      const s = checked(name, engine.hmac(key));
      s.update(data);
      return s.digest();
    },
  };
}
