/**
 * @qubes-backup/codec-gzip: the `gzip` (and `pigz`) compression filter, and `zlib` streams.
 *
 * - **Member**: one gzip header + deflate data + trailer (CRC-32 and length of its output). pigz
 *   and `cat a.gz b.gz` give several members; they decode to the concatenation.
 * - **zlib stream** (RFC 1950, Borg's `zlib`): a 2-byte header + deflate data + the Adler-32 of
 *   its output; exactly one, nothing after it.
 * - **CRC-32** also as a `hash` plugin (`crc32`), for formats that check it themselves (Borg segments).
 * - **Backends**: `portable` (fflate, runs in browsers) from here and from `./portable`; `node`
 *   (node:zlib, faster) only from `@qubes-backup/codec-gzip/node`, so that this entry point never
 *   loads a node:* module; and gzip on the runtime's `DecompressionStream`
 *   (`gzipDecompressionStream`, also `portable`: the web page's, several times fflate's speed in
 *   Chromium). All check every CRC-32, length and Adler-32.
 */
export { gzipPortable, gunzipPortable, zlibPortable, unzlibPortable } from './portable.js';
export { gzipDecompressionStream, gunzipDecompressionStream } from './decompression-stream.js';
export { crc32 } from './crc32.js';
export { crc32Portable } from './crc32-hash.js';
export { adler32 } from './adler32.js';
