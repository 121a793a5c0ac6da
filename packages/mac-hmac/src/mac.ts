import {
  AuthenticationError, assertBytes, equalBytes, type Backend, type ByteStream, type Mac, type ReadOptions,
} from '@qubes-backup/core';
import { parseHmacTag } from './tag.js';
import type { HmacAlgorithm } from './algorithms.js';

/** An incremental HMAC that ends in lowercase hex. */
export interface HexHmac {
  update(data: Uint8Array): void;
  hexDigest(): string;
}

export type HmacFactory = (algorithm: HmacAlgorithm, key: Uint8Array) => HexHmac;

const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
};

export function makeHmacMac(algorithm: HmacAlgorithm, backend: Backend, create: HmacFactory): Mac {
  return {
    info: { kind: 'mac', name: algorithm, backend },
    async verify(data: ByteStream, tag: Uint8Array, key: Uint8Array, opts: ReadOptions = {}): Promise<void> {
      assertBytes(key, 'key');
      // The tag is parsed first: a broken .hmac file fails before 100 MiB of data is read.
      const expected = parseHmacTag(tag);
      const h = create(algorithm, key);
      for await (const c of data) {
        opts.signal?.throwIfAborted();
        h.update(c);
        opts.onProgress?.(c.length);
      }
      if (!equalBytes(ascii(h.hexDigest()), ascii(expected))) {
        throw new AuthenticationError('HMAC does not verify');
      }
    },
  };
}
