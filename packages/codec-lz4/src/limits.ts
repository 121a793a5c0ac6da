/** How far back a match may reach: its offset is 16 bits, so at most 65 535 bytes. */
export const WINDOW = 64 * 1024;

/** The largest output piece the decoder yields. */
export const OUT_PIECE = 1 << 20;

/**
 * The default limit on one block's output: 128 MiB. Borg 1.x's reader (`LZ4.decompress`) starts
 * with a buffer of max(1.1 × 8 MiB, 3 × input), grows it 1.5× after each failure and gives up
 * only once a buffer over 128 MiB has failed, so it decodes every valid block of up to 128 MiB
 * (and, depending on the input size, some up to 150-192 MiB). Stopping at 128 MiB keeps this
 * decoder from accepting anything Borg refuses, and real chunks are far smaller (Borg 1.x objects
 * are at most 20 MiB). Without a limit a 20 MiB block could expand ~255:1 to 5 GiB.
 */
export const DEFAULT_MAX_OUTPUT = 128 * 1024 * 1024;
