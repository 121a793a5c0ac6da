import { totalmem } from 'node:os';
import { Registry, type PluginDescriptor } from '@qubes-backup/core';
import { createScryptCipher, createScryptMac, scryptCipherNode, scryptMacNode } from '@qubes-backup/cipher-scrypt/node';
import { opensslCiphersNode } from '@qubes-backup/cipher-openssl/node';
import { hmacMacsNode } from '@qubes-backup/mac-hmac/node';
import { crc32Node, gzipNode, zlibNode } from '@qubes-backup/codec-gzip/node';
import { fingerprintNode, hashNode } from '@qubes-backup/hash/node';
import { kdfNode } from '@qubes-backup/kdf/node';
import { aesCtrNode } from '@qubes-backup/cipher-aes/node';
import { chachaNode } from '@qubes-backup/cipher-chacha/node';
import { formatV1 } from '@qubes-backup/format-v1';
import { httpSourcePlugin } from '@qubes-backup/source-http';
import { sftpSourcePlugin } from '@qubes-backup/source-sftp';
import { borgRpcSourcePlugin } from '@qubes-backup/source-borg-rpc';
import { portablePlugins } from './portable.js';

/**
 * Every shipped plugin, both backends: the composition root of the CLI. The registry prefers
 * `node` backends on Node (node:crypto, node:zlib: 50× faster AES/HMAC) and falls back to
 * `portable`. Returns a fresh, unfrozen registry, so callers can `remove` or `use` before the first
 * `get`. Formats are asked in this order whether they recognize an input; `formats` replaces them
 * (every part with only your formats).
 */
export function defaultRegistry(options: { formats?: readonly PluginDescriptor<'format'>[] } = {}): Registry {
  const parts = portablePlugins().filter((d) => d.kind !== 'format');
  return new Registry().use(
    options.formats ?? [formatV1, ...portablePlugins().filter((d) => d.kind === 'format')],
    parts,
    { ...scryptCipherNode, create: () => createScryptCipher({ backend: 'node', maxmem: scryptMaxmem() }) },
    { ...scryptMacNode, create: () => createScryptMac({ backend: 'node', maxmem: scryptMaxmem() }) },
    opensslCiphersNode, hmacMacsNode, gzipNode, zlibNode, crc32Node, hashNode, fingerprintNode, kdfNode, aesCtrNode, chachaNode,
    // Transports: URLs the CLI and library take wherever they take a path (the browser build has none).
    httpSourcePlugin, sftpSourcePlugin, borgRpcSourcePlugin,
  );
}

/**
 * scrypt picks N so a derivation fits 1/8 of the creating machine's memory, so a backup made on a
 * big machine may need more than the packages' 2 GiB default: allow up to 3/4 of this machine's.
 */
function scryptMaxmem(): number {
  return Math.max(2 * 1024 ** 3, Math.floor(totalmem() * 0.75));
}
