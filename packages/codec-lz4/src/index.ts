/**
 * @qubes-backup/codec-lz4: raw LZ4 blocks, the `lz4` compression of Borg 1.x chunks.
 *
 * - **Block**: sequences of a token (literal count, match length), literals, a 2-byte
 *   little-endian offset and the rest of the match length. The last sequence has literals only
 *   and nothing marks it: the block ends where its input ends. No frame, no size, no checksum
 *   (Borg checks chunks itself).
 * - **Streaming**: input in pieces of any size, output in pieces of at most 1 MiB (or one piece of
 *   the `outputSize` a caller knows), 64 KiB of history kept for matches; a limit on the output
 *   (default 128 MiB) stops bombs early.
 */
export { lz4BlockDecode, type Lz4Options } from './decode.js';
export { lz4Portable } from './descriptor.js';
export { DEFAULT_MAX_OUTPUT } from './limits.js';
