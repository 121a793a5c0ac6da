import {
  AuthenticationError, assertBytes, collect, equalBytes, type ByteStream, type Mac, type ReadOptions,
} from '@qubes-backup/core';
import { deriveKeysWith } from './keys.js';
import { decryptUnit } from './unit.js';
import { resolveLimits, type ScryptLimits } from './cipher.js';
import type { ScryptPrimitives } from './_primitives.js';

/**
 * The format-4 header check as a Mac: `tag` (backup-header.hmac) is the scrypt encryption of the
 * data (backup-header) under `key` ("backup-header!" + passphrase, built by the caller).
 */
export function makeScryptMac(prims: ScryptPrimitives, limits: ScryptLimits = {}): Mac {
  const { maxmem, maxUnitSize } = resolveLimits(limits);
  return {
    info: { kind: 'mac', name: 'scrypt', backend: prims.backend },
    async verify(data: ByteStream, tag: Uint8Array, key: Uint8Array, opts: ReadOptions = {}): Promise<void> {
      assertBytes(tag, 'tag');
      assertBytes(key, 'key');
      const { signal, onStatus } = opts;
      const plain = await collect(
        decryptUnit(tag, (h) => deriveKeysWith(prims, h, key, { maxmem, urgent: true, ...(signal ? { signal } : {}), ...(onStatus ? { onStatus } : {}) }),
          signal ? { signal, maxUnitSize } : { maxUnitSize }),
        tag.length,
        'scrypt MAC plaintext',
      );
      // Read at most one byte more than the plaintext: a longer data stream cannot match anyway.
      const parts: Uint8Array[] = [];
      let n = 0;
      for await (const c of data) {
        signal?.throwIfAborted();
        parts.push(c);
        n += c.length;
        opts.onProgress?.(c.length);
        if (n > plain.length) break;
      }
      const got = new Uint8Array(n);
      let o = 0;
      for (const c of parts) { got.set(c, o); o += c.length; }
      if (!equalBytes(got, plain)) {
        throw new AuthenticationError('data does not match its scrypt-encrypted copy (scrypt MAC does not verify)');
      }
    },
  };
}
