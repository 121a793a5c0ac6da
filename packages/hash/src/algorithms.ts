/** The hash names this package answers to, spelled as a Borg reader asks for them. */
export const HASH_NAMES = ['sha256', 'sha512', 'blake2b-256'] as const;

export type HashName = (typeof HASH_NAMES)[number];

export interface HashSpec {
  /** Digest length in bytes. */
  readonly outputLength: number;
  /** Input block length in bytes: HMAC pads (or first hashes) its key to this (RFC 2104). */
  readonly blockLength: number;
}

/**
 * BLAKE2b-256 is BLAKE2b with the digest length parameter set to 32, not BLAKE2b-512 cut to 32
 * bytes: the length enters the initial state, so the two differ in every byte.
 */
export const HASH_SPECS: Readonly<Record<HashName, HashSpec>> = {
  sha256: { outputLength: 32, blockLength: 64 },
  sha512: { outputLength: 64, blockLength: 128 },
  'blake2b-256': { outputLength: 32, blockLength: 128 },
};
