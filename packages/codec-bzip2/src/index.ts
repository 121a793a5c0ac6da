/**
 * @qubes-backup/codec-bzip2: the `bzip2` (and `pbzip2`) compression filter.
 *
 * - **Stream**: `BZh<level>`, blocks of up to level × 100 kB (before run-length coding), an end
 *   marker with the stream CRC. pbzip2 writes one stream per block, concatenated; so does `cat`.
 * - **Block**: the unit the decoder works on, synchronously; each carries its own CRC.
 */
export { bunzip2 } from './bunzip2.js';
export { bzip2Portable } from './descriptor.js';
