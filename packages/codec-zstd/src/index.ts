/**
 * @qubes-backup/codec-zstd: the `zstd` (and `zstdmt`) compression filter.
 *
 * - **Frame**: magic, header (window size, optional content size and checksum flag), blocks of at
 *   most 128 KiB of output, optional checksum (low 32 bits of XXH64 of the frame's content).
 *   Frames concatenate (`cat a.zst b.zst`); **skippable frames** carry data decoders ignore.
 * - **Window**: how far back a match may reach. fzstd gets windows of 64 MiB and more wrong, so
 *   those frames are refused (UnsupportedError), never decoded wrongly.
 */
export { unzstd } from './unzstd.js';
export { zstdPortable } from './descriptor.js';
export { Xxh64, xxh64 } from './xxh64.js';
export { MAX_WINDOW, parseFrameHeader, type FrameHeader } from './frame.js';
