import { portableRegistry } from '@qubes-backup/all';
import { scryptDescriptors, scryptPrimitivesPortable } from '@qubes-backup/cipher-scrypt';
import type { Registry } from '@qubes-backup/core';
import type { ScryptPool } from './scrypt/pool.js';

/**
 * The CLI's portable plugins, with the scrypt container's key derivation moved into the page's
 * worker pool: same container code and checks, only where the KDF runs differs.
 */
export function pageRegistry(pool: ScryptPool): Registry {
  const { cipher, mac } = scryptDescriptors({
    ...scryptPrimitivesPortable,
    scrypt: (pass, salt, N, r, p, signal) => pool.derive(pass, salt, N, r, p, signal),
  });
  return portableRegistry().remove('cipher', 'scrypt').remove('mac', 'scrypt').use(cipher, mac);
}
