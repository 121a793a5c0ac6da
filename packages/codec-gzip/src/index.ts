/**
 * @qubes-backup/codec-gzip: the `gzip` (and `pigz`) compression filter.
 *
 * - **Member**: one gzip header + deflate data + trailer (CRC-32 and length of its output). pigz
 *   and `cat a.gz b.gz` give several members; they decode to the concatenation.
 * - **Backends**: `gzipNode` (node:zlib, faster) and `gzipPortable` (fflate, runs in browsers).
 *   Both check every member's CRC-32 and length.
 */
export { gzipNode, gunzipNode } from './node.js';
export { gzipPortable, gunzipPortable } from './portable.js';
export { crc32 } from './crc32.js';
