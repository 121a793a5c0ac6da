import { portableRegistry } from '@qubes-backup/all';
import { scryptDescriptors, scryptPrimitivesPortable, webCryptoPrimitives, type DerivationScheduler } from '@qubes-backup/cipher-scrypt';
import { gzipDecompressionStream } from '@qubes-backup/codec-gzip';
import type { Registry } from '@qubes-backup/core';
import type { ScryptPool } from './scrypt/pool.js';

/**
 * The CLI's portable plugins, with the scrypt container's key derivation moved into the page's
 * worker pool and its whole-unit HMAC-SHA256 and AES-256-CTR done by WebCrypto (secure contexts
 * only: `file://` is one in Chromium): same container code and checks, other engines. gzip goes
 * through the browser's own DecompressionStream where it has one (in Chromium 3-4× fflate's speed:
 * fflate's many small buffers cost ~10× more there than in Node). `scheduler` is the page's one
 * budget for derivations in flight (cores and memory), shared by every backup opened.
 */
export function pageRegistry(pool: ScryptPool, scheduler: DerivationScheduler): Registry {
  const subtle = globalThis.crypto?.subtle;
  const { cipher, mac } = scryptDescriptors({
    ...scryptPrimitivesPortable,
    scrypt: (pass, salt, N, r, p, signal) => pool.derive(pass, salt, N, r, p, signal),
    scheduler,
    ...(subtle ? webCryptoPrimitives(subtle) : {}),
  });
  const registry = portableRegistry().remove('cipher', 'scrypt').remove('mac', 'scrypt').use(cipher, mac);
  return typeof DecompressionStream === 'function' ? registry.remove('compressor', 'gzip').use(gzipDecompressionStream) : registry;
}
