import { Registry } from '@qubes-backup/core';
import { tarContainer } from '@qubes-backup/tar';
import { scryptCipherNode, scryptCipherPortable, scryptMacNode, scryptMacPortable } from '@qubes-backup/cipher-scrypt';
import { opensslCiphersNode, opensslCiphersPortable } from '@qubes-backup/cipher-openssl';
import { hmacMacsNode, hmacMacsPortable } from '@qubes-backup/mac-hmac';
import { gzipNode, gzipPortable } from '@qubes-backup/codec-gzip';
import { nonePortable } from '@qubes-backup/codec-none';
import { formatV4 } from '@qubes-backup/format-v4';

/**
 * Every shipped plugin, both backends: the one composition root. The registry prefers `node`
 * backends on Node (node:crypto, node:zlib: 50× faster AES/HMAC) and falls back to `portable`.
 * Returns a fresh, unfrozen registry, so callers can `remove` or `use` before the first `get`.
 */
export function defaultRegistry(): Registry {
  return new Registry().use(
    tarContainer,
    scryptCipherNode, scryptCipherPortable, scryptMacNode, scryptMacPortable,
    opensslCiphersNode, opensslCiphersPortable,
    hmacMacsNode, hmacMacsPortable,
    gzipNode, gzipPortable, nonePortable,
    formatV4,
  );
}
