import {
  CorruptBackupError, assertBytes, equalBytes, type Backend, type ByteStream, type Cipher, type Mac,
} from '@qubes-backup/core';
import { makeScryptCipher, type ScryptLimits } from './cipher.js';
import { makeScryptMac } from './mac.js';
import { deriveKeysWith, keyMaterial, type DeriveOptions, type ScryptKeys } from './keys.js';
import { decryptUnit, type UnitOptions } from './unit.js';
import { scryptPrimitivesNode } from './node.js';
import { scryptPrimitivesPortable } from './portable.js';
import type { ScryptPrimitives } from './_primitives.js';

export interface ScryptFactoryOptions extends ScryptLimits {
  /** Default `node`. */
  backend?: Backend;
}

function primitives(backend: Backend = 'node'): ScryptPrimitives {
  if (backend === 'node') return scryptPrimitivesNode;
  if (backend === 'portable') return scryptPrimitivesPortable;
  throw new TypeError(`backend must be 'node' or 'portable', got ${String(backend)}`);
}

/** A scrypt Cipher with its own limits (the registry descriptors use the defaults). */
export function createScryptCipher(options: ScryptFactoryOptions = {}): Cipher {
  const { backend, ...limits } = options;
  return makeScryptCipher(primitives(backend), limits);
}

/** A scrypt Mac (format-4 `backup-header.hmac` check) with its own limits. */
export function createScryptMac(options: ScryptFactoryOptions = {}): Mac {
  const { backend, ...limits } = options;
  return makeScryptMac(primitives(backend), limits);
}

export interface DeriveScryptKeysOptions extends DeriveOptions {
  /** Default `node`. */
  backend?: Backend;
}

/**
 * Derives and checks the keys of one unit from its first 96 bytes, so the KDFs of upcoming chunks
 * can run while earlier ones are decrypted. Rejects with CorruptBackupError (bad header),
 * UnsupportedError (beyond maxmem) or WrongPassphraseError (header HMAC mismatch).
 */
export function deriveScryptKeys(
  head: Uint8Array,
  passphrase: Uint8Array,
  options: DeriveScryptKeysOptions = {},
): Promise<ScryptKeys> {
  const { backend, ...rest } = options;
  return deriveKeysWith(primitives(backend), head, passphrase, rest);
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
