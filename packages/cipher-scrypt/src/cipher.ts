import { AuthenticationError, assertBytes, equalBytes, type Cipher, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { SCRYPT_HEADER_SIZE, parseScryptHeader, type ScryptHeader } from './header.js';
import { DEFAULT_MAXMEM, checkMaxmem, deriveKeysWith, type ScryptKeys } from './keys.js';
import { DEFAULT_MAX_UNIT_SIZE, checkMaxUnitSize, decryptUnit } from './unit.js';
import type { ScryptPrimitives } from './_primitives.js';

/** Limits of a scrypt Cipher or Mac. */
export interface ScryptLimits {
  /** KDF memory limit in bytes (128·r·(N + 2 + p): the lanes run one after another); default 2 GiB. */
  maxmem?: number;
  /** Largest unit buffered before its trailer verifies; default 128 MiB. */
  maxUnitSize?: number;
}

export function resolveLimits(limits: ScryptLimits): Required<ScryptLimits> {
  const maxmem = limits.maxmem ?? DEFAULT_MAXMEM;
  const maxUnitSize = limits.maxUnitSize ?? DEFAULT_MAX_UNIT_SIZE;
  checkMaxmem(maxmem);
  checkMaxUnitSize(maxUnitSize);
  return { maxmem, maxUnitSize };
}

export function makeScryptCipher(prims: ScryptPrimitives, limits: ScryptLimits = {}): Cipher {
  const { maxmem, maxUnitSize } = resolveLimits(limits);
  const derive = (header: ScryptHeader, passphrase: Uint8Array, { signal, onStatus }: ReadOptions) =>
    deriveKeysWith(prims, header, passphrase, { maxmem, urgent: true, ...(signal ? { signal } : {}), ...(onStatus ? { onStatus } : {}) });
  // Keys derived ahead: the unit read now must be the one whose header they were derived for.
  const same = (keys: ScryptKeys, header: ScryptHeader) => async (h: ScryptHeader) => {
    if (!equalBytes(h.bytes, header.bytes)) {
      keys.wipe();
      throw new AuthenticationError('scrypt unit header changed since its key was derived');
    }
    return keys;
  };
  return {
    info: { kind: 'cipher', name: 'scrypt', backend: prims.backend },
    decrypt(data: ByteStream, passphrase: Uint8Array, opts: ReadOptions = {}): ByteStream {
      assertBytes(passphrase, 'passphrase');
      return decryptUnit(data, (header) => derive(header, passphrase, opts), { ...opts, maxUnitSize });
    },
    prepareBytes: SCRYPT_HEADER_SIZE,
    async prepare(head: Uint8Array, passphrase: Uint8Array, opts: ReadOptions = {}): ReturnType<NonNullable<Cipher['prepare']>> {
      assertBytes(passphrase, 'passphrase');
      const header = parseScryptHeader(head);
      const { signal, onStatus } = opts;
      const keys = await deriveKeysWith(prims, header, passphrase, { maxmem, ...(signal ? { signal } : {}), ...(onStatus ? { onStatus } : {}) });
      return {
        decrypt: (data: ByteStream, o: ReadOptions = {}): ByteStream => decryptUnit(data, same(keys, header), { ...o, maxUnitSize }),
        dispose: () => keys.wipe(),
      };
    },
  };
}
