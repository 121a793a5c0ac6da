import { UnsupportedError, type Backend, type Cipher } from '@qubes-backup/core';
import { OPENSSL_CIPHER_NAMES, opensslCipherSpec } from './ciphers.js';
import { makeOpensslCipher } from './decrypt.js';
import { opensslPrimitivesNode } from './node.js';
import { opensslPrimitivesPortable } from './portable.js';
import type { OpensslDigest } from './_primitives.js';

export interface OpensslCipherOptions {
  /** An `openssl enc` cipher name, any case (`aes-256-cbc`, `AES256`). */
  name: string;
  /** EVP_BytesToKey digest: `md5` (OpenSSL < 1.1, Qubes R2/R3; the default) or `sha256` (OpenSSL ≥ 1.1). */
  digest?: OpensslDigest;
  /** Default `node`. */
  backend?: Backend;
}

/** An `openssl enc` Cipher outside the registry, e.g. with SHA-256 key derivation. */
export function createOpensslCipher({ name, digest = 'md5', backend = 'node' }: OpensslCipherOptions): Cipher {
  const spec = opensslCipherSpec(name);
  if (!spec) throw new UnsupportedError(`no openssl cipher '${name}' (known: ${OPENSSL_CIPHER_NAMES.join(', ')})`);
  if (digest !== 'md5' && digest !== 'sha256') {
    throw new UnsupportedError(`no EVP_BytesToKey digest '${String(digest)}' (known: md5, sha256)`);
  }
  return makeOpensslCipher(backend === 'node' ? opensslPrimitivesNode : opensslPrimitivesPortable, spec, digest);
}
