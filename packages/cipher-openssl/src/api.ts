import { UnsupportedError, UsageError, type Backend, type Cipher, type PluginDescriptor } from '@qubes-backup/core';
import { OPENSSL_CIPHER_ALIASES, OPENSSL_CIPHER_NAMES, opensslCipherSpec } from './ciphers.js';
import { makeOpensslCipher } from './decrypt.js';
import type { OpensslDigest, OpensslPrimitives } from './_primitives.js';

export interface OpensslCipherOptions {
  /** An `openssl enc` cipher name, any case (`aes-256-cbc`, `AES256`). */
  name: string;
  /** EVP_BytesToKey digest: `md5` (OpenSSL < 1.1, Qubes R2/R3; the default) or `sha256` (OpenSSL ≥ 1.1). */
  digest?: OpensslDigest;
  /** Default: `node` from `@qubes-backup/cipher-openssl/node`, `portable` from the main entry point. */
  backend?: Backend;
}

/**
 * `createOpensslCipher` over the backends an entry point offers: the main one only the portable
 * backend (so a browser bundle never sees node:crypto), `./node` both.
 */
export function opensslFactory(backends: Partial<Record<Backend, OpensslPrimitives>>, fallback: Backend) {
  /** An `openssl enc` Cipher outside the registry, e.g. with SHA-256 key derivation. */
  return function createOpensslCipher({ name, digest = 'md5', backend = fallback }: OpensslCipherOptions): Cipher {
    const spec = opensslCipherSpec(name);
    if (!spec) throw new UnsupportedError(`no openssl cipher '${name}' (known: ${OPENSSL_CIPHER_NAMES.join(', ')})`);
    if (digest !== 'md5' && digest !== 'sha256') {
      throw new UnsupportedError(`no EVP_BytesToKey digest '${String(digest)}' (known: md5, sha256)`);
    }
    const p = backends[backend];
    if (!p) throw new UsageError(`the ${backend} backend is in @qubes-backup/cipher-openssl/${backend}`);
    return makeOpensslCipher(p, spec, digest);
  };
}

/**
 * The registry descriptors of every cipher on one backend. They derive keys with MD5: Qubes R2/R3
 * ran OpenSSL 1.0.x, whose `enc` default was MD5.
 */
export function opensslDescriptors(p: OpensslPrimitives): readonly PluginDescriptor<'cipher'>[] {
  return OPENSSL_CIPHER_NAMES.map((name) => {
    const spec = opensslCipherSpec(name)!;
    const aliases = OPENSSL_CIPHER_ALIASES[name];
    return { kind: 'cipher', name, backend: p.backend, ...(aliases ? { aliases } : {}), create: (): Cipher => makeOpensslCipher(p, spec, 'md5') };
  });
}
