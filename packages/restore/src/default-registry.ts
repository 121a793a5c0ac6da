import { Registry } from '@qubes-backup/core';
import { tarContainer } from '@qubes-backup/tar';
import { totalmem } from 'node:os';
import { createScryptCipher, createScryptMac, scryptCipherNode, scryptCipherPortable, scryptMacNode, scryptMacPortable } from '@qubes-backup/cipher-scrypt';
import { opensslCiphersNode, opensslCiphersPortable } from '@qubes-backup/cipher-openssl';
import { hmacMacsNode, hmacMacsPortable } from '@qubes-backup/mac-hmac';
import { gzipPortable } from '@qubes-backup/codec-gzip';
import { gzipNode } from '@qubes-backup/codec-gzip/node';
import { bzip2Portable } from '@qubes-backup/codec-bzip2';
import { xzPortable } from '@qubes-backup/codec-xz';
import { zstdPortable } from '@qubes-backup/codec-zstd';
import { lzmaPortable } from '@qubes-backup/codec-lzma';
import { nonePortable } from '@qubes-backup/codec-none';
import { formatV1 } from '@qubes-backup/format-v1';
import { formatV2 } from '@qubes-backup/format-v2';
import { formatV3 } from '@qubes-backup/format-v3';
import { formatV4 } from '@qubes-backup/format-v4';

/**
 * Every shipped plugin, both backends: the one composition root. The registry prefers `node`
 * backends on Node (node:crypto, node:zlib: 50× faster AES/HMAC) and falls back to `portable`.
 * Returns a fresh, unfrozen registry, so callers can `remove` or `use` before the first `get`.
 */
export function defaultRegistry(): Registry {
  return new Registry().use(
    tarContainer,
    { ...scryptCipherNode, create: () => createScryptCipher({ backend: 'node', maxmem: scryptMaxmem() }) },
    { ...scryptMacNode, create: () => createScryptMac({ backend: 'node', maxmem: scryptMaxmem() }) },
    scryptCipherPortable, scryptMacPortable,
    opensslCiphersNode, opensslCiphersPortable,
    hmacMacsNode, hmacMacsPortable,
    gzipNode, gzipPortable, bzip2Portable, xzPortable, zstdPortable, lzmaPortable, nonePortable,
    formatV1, formatV2, formatV3, formatV4,
  );
}

/**
 * scrypt picks N so a derivation fits 1/8 of the creating machine's memory, so a backup made on a
 * big machine may need more than the packages' 2 GiB default: allow up to 3/4 of this machine's.
 */
function scryptMaxmem(): number {
  return Math.max(2 * 1024 ** 3, Math.floor(totalmem() * 0.75));
}
