import { createDecipheriv, createHash } from 'node:crypto';
import { CorruptBackupError, type Cipher, type PluginDescriptor } from '@qubes-backup/core';
import { OPENSSL_CIPHER_ALIASES, OPENSSL_CIPHER_NAMES, opensslCipherSpec, type OpensslCipherName } from './ciphers.js';
import { makeOpensslCipher } from './decrypt.js';
import { BAD_DECRYPT, type OpensslPrimitives } from './_primitives.js';
import { opensslFactory } from './api.js';
import { opensslPrimitivesPortable } from './portable.js';

/** node:crypto (OpenSSL itself): CBC padding is checked by the decipher's final(). */
export const opensslPrimitivesNode: OpensslPrimitives = {
  backend: 'node',
  hash: (digest, data) => createHash(digest).update(data).digest(),
  decryptor(spec, key, iv) {
    const d = createDecipheriv(spec.name, key, iv);
    d.setAutoPadding(spec.padded);
    return {
      update: (chunk) => d.update(chunk),
      final() {
        try {
          return d.final();
        } catch (cause) {
          throw new CorruptBackupError(BAD_DECRYPT, { cause });
        }
      },
    };
  },
};

function descriptor(name: OpensslCipherName): PluginDescriptor<'cipher'> {
  const spec = opensslCipherSpec(name)!;
  const aliases = OPENSSL_CIPHER_ALIASES[name];
  return {
    kind: 'cipher', name, backend: 'node', ...(aliases ? { aliases } : {}),
    // Registry descriptors derive with MD5: Qubes R2/R3 ran OpenSSL 1.0.x, whose enc default was MD5.
    create: (): Cipher => makeOpensslCipher(opensslPrimitivesNode, spec, 'md5'),
  };
}

/** `openssl enc` AES-{128,192,256}-{CBC,CTR,CFB,OFB} with MD5 key derivation (node:crypto). */
export const opensslCiphersNode: readonly PluginDescriptor<'cipher'>[] = OPENSSL_CIPHER_NAMES.map(descriptor);

/** `createOpensslCipher` with both backends, `node` by default. */
export const createOpensslCipher = opensslFactory({ node: opensslPrimitivesNode, portable: opensslPrimitivesPortable }, 'node');
