/** AES modes `openssl enc` output is read for. */
export type OpensslMode = 'cbc' | 'ctr' | 'cfb' | 'ofb';

export const OPENSSL_CIPHER_NAMES = [
  'aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc',
  'aes-128-ctr', 'aes-192-ctr', 'aes-256-ctr',
  'aes-128-cfb', 'aes-192-cfb', 'aes-256-cfb',
  'aes-128-ofb', 'aes-192-ofb', 'aes-256-ofb',
] as const;

export type OpensslCipherName = (typeof OPENSSL_CIPHER_NAMES)[number];

/** What EVP_BytesToKey and the decryptor need to know about a cipher. */
export interface OpensslCipherSpec {
  readonly name: OpensslCipherName;
  readonly mode: OpensslMode;
  /** Key length in bytes (16, 24, 32). */
  readonly keyLength: number;
  /** IV length in bytes (16 for every mode here). */
  readonly ivLength: number;
  /** Only CBC pads (PKCS#7); the others are stream modes and end on any byte. */
  readonly padded: boolean;
}

/** OpenSSL's own short names for the CBC ciphers (`openssl enc -aes256`). */
export const OPENSSL_CIPHER_ALIASES: Readonly<Partial<Record<OpensslCipherName, readonly string[]>>> = {
  'aes-128-cbc': ['aes128'],
  'aes-192-cbc': ['aes192'],
  'aes-256-cbc': ['aes256'],
};

/** The spec of a cipher name (case-insensitive, aliases included), or undefined. */
export function opensslCipherSpec(name: string): OpensslCipherSpec | undefined {
  const n = name.toLowerCase();
  let canonical = (OPENSSL_CIPHER_NAMES as readonly string[]).includes(n) ? n as OpensslCipherName : undefined;
  if (!canonical) {
    for (const [c, aliases] of Object.entries(OPENSSL_CIPHER_ALIASES)) {
      if (aliases.includes(n)) canonical = c as OpensslCipherName;
    }
  }
  if (!canonical) return undefined;
  const [, bits, mode] = canonical.split('-') as [string, string, OpensslMode];
  return { name: canonical, mode, keyLength: Number(bits) / 8, ivLength: 16, padded: mode === 'cbc' };
}
