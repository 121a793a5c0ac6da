/**
 * Named limits checked before anything is allocated or looped over. Every number read from an
 * archive meets one of these first, so a hostile header cannot size a buffer.
 */

/** Largest PAX extended header (`x` or `g`) body we read into memory. */
export const MAX_PAX_HEADER_SIZE = 1 << 20;

/** Largest GNU long name or long link (`L`, `K`) body, and the longest name taken from PAX. */
export const MAX_LONG_NAME_SIZE = 64 << 10;

/** Most entries a sparse map may have, whatever dialect stores it. */
export const MAX_SPARSE_ENTRIES = 1_000_000;

/** Stored bytes are handed out in pieces of at most this size. */
export const MAX_PIECE = 1 << 20;

/** A skip at least this long is done by re-opening a seekable source instead of reading through. */
export const SEEK_THRESHOLD = 1 << 20;

export const BLOCK = 512;
