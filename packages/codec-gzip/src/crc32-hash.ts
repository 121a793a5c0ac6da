import { UnsupportedError, type Hash, type PluginDescriptor } from '@qubes-backup/core';
import { crc32 } from './crc32.js';

/**
 * CRC-32 (the zlib/gzip polynomial) as a `hash` plugin named `crc32`, for formats that check it
 * themselves (Borg's segment entries). The digest is the checksum as 4 big-endian bytes. A
 * checksum is no keyed hash: `hmac` and `hmacOf` refuse.
 */
export function crc32Hash(update: (data: Uint8Array, previous: number) => number, backend: 'node' | 'portable'): Hash {
  return {
    info: { kind: 'hash', name: 'crc32', backend },
    outputLength: 4,
    create() {
      let c = 0;
      let done = false;
      return {
        update(data: Uint8Array): void {
          if (done) throw new Error('crc32: digest() was already called; create a new state');
          c = update(data, c);
        },
        digest(): Uint8Array {
          done = true;
          return new Uint8Array([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]);
        },
      };
    },
    hmac(): never {
      throw new UnsupportedError('crc32 is a checksum, not a hash an HMAC can key');
    },
    hmacOf(): Promise<never> {
      return Promise.reject(new UnsupportedError('crc32 is a checksum, not a hash an HMAC can key'));
    },
  };
}

/** CRC-32 in pure JS (slicing-by-8). */
export const crc32Portable: PluginDescriptor<'hash'> = {
  kind: 'hash', name: 'crc32', backend: 'portable', create: () => crc32Hash(crc32, 'portable'),
};
