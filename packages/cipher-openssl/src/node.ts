import { createDecipheriv, createHash } from 'node:crypto';
import { CorruptBackupError, type PluginDescriptor } from '@qubes-backup/core';
import { BAD_DECRYPT, type OpensslPrimitives } from './_primitives.js';
import { opensslDescriptors, opensslFactory } from './api.js';
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


/** `openssl enc` AES-{128,192,256}-{CBC,CTR,CFB,OFB} with MD5 key derivation (node:crypto). */
export const opensslCiphersNode: readonly PluginDescriptor<'cipher'>[] = opensslDescriptors(opensslPrimitivesNode);

/** `createOpensslCipher` with both backends, `node` by default. */
export const createOpensslCipher = opensslFactory({ node: opensslPrimitivesNode, portable: opensslPrimitivesPortable }, 'node');
