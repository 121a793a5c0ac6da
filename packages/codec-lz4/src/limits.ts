/** How far back a match may reach: its offset is 16 bits, so at most 65 535 bytes. */
export const WINDOW = 64 * 1024;

/** The largest output piece the decoder yields. */
export const OUT_PIECE = 1 << 20;

/**
 * The default limit on one block's output: what Borg 1.x's own reader could ever return.
 * Its `LZ4.decompress` starts with a buffer of max(1.1 × 8 MiB, 3 × input) and grows it 1.5× on
 * each failure, giving up once a buffer over 128 MiB has failed: the last buffer it tries is under
 * 1.5 × 128 MiB = 192 MiB. Real chunks are far smaller (Borg 1.x objects are at most 20 MiB).
 * Without a limit a 20 MiB block could expand ~255:1 to 5 GiB.
 */
export const DEFAULT_MAX_OUTPUT = 192 * 1024 * 1024;
