/** The key derivation functions this package answers to, spelled as Borg and Wyng readers ask for them. */
export const KDF_NAMES = ['pbkdf2-sha256', 'pbkdf2-sha512', 'hkdf-sha256', 'hkdf-sha512', 'scrypt'] as const;

export type KdfName = (typeof KDF_NAMES)[number];

export interface KdfSpec {
  /** PBKDF2 (RFC 8018, with HMAC), HKDF (RFC 5869 extract then expand) or scrypt (RFC 7914). */
  readonly family: 'pbkdf2' | 'hkdf' | 'scrypt';
  readonly digest: 'sha256' | 'sha512';
  /** The digest's length in bytes: HKDF can give at most 255 of these. */
  readonly hashLength: number;
}

export const KDF_SPECS: Readonly<Record<KdfName, KdfSpec>> = {
  'pbkdf2-sha256': { family: 'pbkdf2', digest: 'sha256', hashLength: 32 },
  'pbkdf2-sha512': { family: 'pbkdf2', digest: 'sha512', hashLength: 64 },
  'hkdf-sha256': { family: 'hkdf', digest: 'sha256', hashLength: 32 },
  'hkdf-sha512': { family: 'hkdf', digest: 'sha512', hashLength: 64 },
  // scrypt's first and last steps are PBKDF2-HMAC-SHA256 with one iteration.
  scrypt: { family: 'scrypt', digest: 'sha256', hashLength: 32 },
};
