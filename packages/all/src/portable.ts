import { Registry, type PluginDescriptor } from '@qubes-backup/core';
import { tarContainer } from '@qubes-backup/tar';
import { scryptCipherPortable, scryptMacPortable } from '@qubes-backup/cipher-scrypt';
import { opensslCiphersPortable } from '@qubes-backup/cipher-openssl';
import { hmacMacsPortable } from '@qubes-backup/mac-hmac';
import { crc32Portable, gzipPortable, zlibPortable } from '@qubes-backup/codec-gzip';
import { lz4Portable } from '@qubes-backup/codec-lz4';
import { fingerprintPortable, hashPortable } from '@qubes-backup/hash';
import { kdfPortable } from '@qubes-backup/kdf';
import { aesCtrPortable } from '@qubes-backup/cipher-aes';
import { chachaPortable } from '@qubes-backup/cipher-chacha';
import { bzip2Portable } from '@qubes-backup/codec-bzip2';
import { xzPortable } from '@qubes-backup/codec-xz';
import { zstdPortable } from '@qubes-backup/codec-zstd';
import { lzmaPortable } from '@qubes-backup/codec-lzma';
import { nonePortable } from '@qubes-backup/codec-none';
import { formatV2 } from '@qubes-backup/format-v2';
import { formatV3 } from '@qubes-backup/format-v3';
import { formatV4 } from '@qubes-backup/format-v4';
import { formatBorg } from '@qubes-backup/format-borg';
import { formatWyng } from '@qubes-backup/format-wyng';

/** Every portable plugin: runs in browsers (no node:* module). Format 1 reads the file system, so it is not here. */
export function portablePlugins(): PluginDescriptor[] {
  return [
    tarContainer,
    scryptCipherPortable, scryptMacPortable, ...opensslCiphersPortable, ...hmacMacsPortable,
    gzipPortable, zlibPortable, bzip2Portable, xzPortable, zstdPortable, lzmaPortable, lz4Portable, nonePortable,
    crc32Portable, ...hashPortable, fingerprintPortable, ...kdfPortable, ...aesCtrPortable, ...chachaPortable,
    formatV2, formatV3, formatV4, formatBorg, formatWyng,
  ];
}

/** A fresh, unfrozen registry of `portablePlugins()`. */
export function portableRegistry(): Registry {
  return new Registry({ preferred: 'portable' }).use(portablePlugins());
}
