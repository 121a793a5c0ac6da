/**
 * @qubes-backup/codec-xz: the `xz` compression filter.
 *
 * - **Stream**: header, blocks, index, footer; `cat a.xz b.xz` and stream padding (zero bytes in
 *   multiples of 4) between streams are valid. `xz -T2` writes several blocks per stream.
 * - **Check**: the per-block integrity check named in the stream header: CRC32, CRC64 (xz's default,
 *   what Qubes gets), none; SHA-256 is refused by this decoder.
 */
export { unxz } from './unxz.js';
export { xzPortable } from './descriptor.js';
