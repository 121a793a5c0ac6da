import { createGunzip, crc32 as zlibCrc32 } from 'node:zlib';
import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { corrupt } from './errors.js';
import { throughZlib } from './_node-stream.js';
import { crc32Hash } from './crc32-hash.js';

/** zlib's output piece size (its default is 16 KiB; bigger pieces mean fewer awaits). */
const OUT_PIECE = 64 * 1024;

/**
 * gunzip with node:zlib: checks each member's CRC-32 and length, decodes concatenated members
 * (pigz, `cat a.gz b.gz`), and like GNU gzip ignores zero bytes after the last member.
 */
export function gunzipNode(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  return throughZlib(data, createGunzip({ chunkSize: OUT_PIECE }), opts, { corrupt });
}

export { unzlibNode, zlibNode } from './zlib-node.js';

/** CRC-32 on node:zlib (zlib's own, with SIMD where the CPU has it). */
export const crc32Node: PluginDescriptor<'hash'> = {
  kind: 'hash', name: 'crc32', backend: 'node', create: () => crc32Hash((d, c) => zlibCrc32(d, c), 'node'),
};

const info = { kind: 'compressor', name: 'gzip', aliases: ['pigz'], backend: 'node' } as const;

/** gzip/pigz on node:zlib (the fast one: about 1.4× fflate). */
export const gzipNode: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: gunzipNode }),
};
