/**
 * @qubes-backup/codec-lzma: the legacy `lzma` compression filter (old backup headers may name it).
 *
 * - **LZMA_Alone** (`.lzma`): a 13-byte header (lc/lp/pb properties, dictionary size, uncompressed
 *   size or "unknown") followed by one raw LZMA1 range-coded stream, ended by the declared size or
 *   by an end marker. No checksum. xz's `.xz` container (LZMA2) is another format (codec-xz).
 * - **Dictionary**: how far back matches reach; the decoder's window, and so its memory.
 */
export { unlzma, parseLzmaHeader, MAX_DICT, type LzmaAloneHeader } from './unlzma.js';
export { lzmaPortable } from './descriptor.js';
