import { Registry, type PluginDescriptor } from '@qubes-backup/core';
import { tarContainer } from '@qubes-backup/tar';
import { scryptCipherPortable, scryptMacPortable } from '@qubes-backup/cipher-scrypt';
import { opensslCiphersPortable } from '@qubes-backup/cipher-openssl';
import { hmacMacsPortable } from '@qubes-backup/mac-hmac';
import { gzipPortable } from '@qubes-backup/codec-gzip';
import { bzip2Portable } from '@qubes-backup/codec-bzip2';
import { xzPortable } from '@qubes-backup/codec-xz';
import { zstdPortable } from '@qubes-backup/codec-zstd';
import { lzmaPortable } from '@qubes-backup/codec-lzma';
import { nonePortable } from '@qubes-backup/codec-none';
import { formatV2 } from '@qubes-backup/format-v2';
import { formatV3 } from '@qubes-backup/format-v3';
import { formatV4 } from '@qubes-backup/format-v4';

/** Every portable plugin: runs in browsers (no node:* module). Format 1 reads the file system, so it is not here. */
export function portablePlugins(): PluginDescriptor[] {
  return [
    tarContainer,
    scryptCipherPortable, scryptMacPortable, ...opensslCiphersPortable, ...hmacMacsPortable,
    gzipPortable, bzip2Portable, xzPortable, zstdPortable, lzmaPortable, nonePortable,
    formatV2, formatV3, formatV4,
  ];
}

/** A fresh, unfrozen registry of `portablePlugins()`. */
export function portableRegistry(): Registry {
  return new Registry({ preferred: 'portable' }).use(portablePlugins());
}
