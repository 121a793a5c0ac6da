import {
  CorruptBackupError, UsageError, assertBytes, equalBytes, type Backend, type ByteStream, type Cipher, type Mac, type PluginDescriptor,
} from '@qubes-backup/core';
import { makeScryptCipher, type ScryptLimits } from './cipher.js';
import { makeScryptMac } from './mac.js';
import { deriveKeysWith, keyMaterial, type DeriveOptions, type ScryptKeys } from './keys.js';
import { decryptUnit, type UnitOptions } from './unit.js';
import type { ScryptPrimitives } from './_primitives.js';

export interface ScryptFactoryOptions extends ScryptLimits {
  /** Default: `node` from `@qubes-backup/cipher-scrypt/node`, `portable` from the main entry point. */
  backend?: Backend;
}

export interface DeriveScryptKeysOptions extends DeriveOptions {
  /** As for `ScryptFactoryOptions`. */
  backend?: Backend;
}

/**
 * The factories over the backends an entry point offers: the main one only the portable backend
 * (so a browser bundle never sees node:crypto), `./node` both.
 */
export function scryptFactories(backends: Partial<Record<Backend, ScryptPrimitives>>, fallback: Backend) {
  const primitives = (backend: Backend = fallback): ScryptPrimitives => {
    if (backend !== 'node' && backend !== 'portable') throw new TypeError(`backend must be 'node' or 'portable', got ${String(backend)}`);
    const p = backends[backend];
    if (!p) throw new UsageError(`the ${backend} backend is in @qubes-backup/cipher-scrypt/${backend}`);
    return p;
  };
  return {
    /** A scrypt Cipher with its own limits (the registry descriptors use the defaults). */
    createScryptCipher(options: ScryptFactoryOptions = {}): Cipher {
      const { backend, ...limits } = options;
      return makeScryptCipher(primitives(backend), limits);
    },
    /** A scrypt Mac (format-4 `backup-header.hmac` check) with its own limits. */
    createScryptMac(options: ScryptFactoryOptions = {}): Mac {
      const { backend, ...limits } = options;
      return makeScryptMac(primitives(backend), limits);
    },
    /**
     * Derives and checks the keys of one unit from its first 96 bytes, so the KDFs of upcoming chunks
     * can run while earlier ones are decrypted. Rejects with CorruptBackupError (bad header),
     * UnsupportedError (beyond maxmem) or WrongPassphraseError (header HMAC mismatch).
     */
    deriveScryptKeys(head: Uint8Array, passphrase: Uint8Array, options: DeriveScryptKeysOptions = {}): Promise<ScryptKeys> {
      const { backend, ...rest } = options;
      return deriveKeysWith(primitives(backend), head, passphrase, rest);
    },
  };
}

/**
 * Decrypts a whole unit (header included) with keys from `deriveScryptKeys`. Same checks and
 * guarantees as `Cipher.decrypt`; the keys are wiped when the stream ends or fails (use them once).
 */
export function decryptScryptWithKeys(
  data: ByteStream | Uint8Array,
  keys: ScryptKeys,
  options: UnitOptions = {},
): ByteStream {
  if (!(data instanceof Uint8Array)) {
    if (typeof data !== 'object' || data === null || !(Symbol.asyncIterator in data)) {
      throw new TypeError('data must be a Uint8Array or an AsyncIterable<Uint8Array>');
    }
  } else {
    assertBytes(data, 'data');
  }
  keyMaterial(keys);
  return withWipe(
    decryptUnit(data, async (header) => {
      if (!equalBytes(header.bytes, keys.header.bytes)) {
        throw new CorruptBackupError('scrypt unit header differs from the header the keys were derived for');
      }
      return keys;
    }, options),
    keys,
  );
}

async function* withWipe(stream: ByteStream, keys: ScryptKeys): ByteStream {
  try {
    yield* stream;
  } finally {
    keys.wipe();
  }
}

/** `scrypt` as a Cipher (format-4 chunks) and as the format-4 header Mac, on one backend. */
export function scryptDescriptors(p: ScryptPrimitives): { cipher: PluginDescriptor<'cipher'>; mac: PluginDescriptor<'mac'> } {
  return {
    cipher: { kind: 'cipher', name: 'scrypt', backend: p.backend, create: (): Cipher => makeScryptCipher(p) },
    mac: { kind: 'mac', name: 'scrypt', backend: p.backend, create: (): Mac => makeScryptMac(p) },
  };
}
