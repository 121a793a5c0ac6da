/** The AES-CTR names this package answers to, in OpenSSL spelling (as Borg and `openssl enc` use). */
export const AES_CTR_NAMES = ['aes-256-ctr', 'aes-128-ctr'] as const;

export type AesCtrName = (typeof AES_CTR_NAMES)[number];

/** The initial counter block is one AES block. */
export const AES_CTR_IV_LENGTH = 16;

/** Key length in bytes. AES-192 is left out: Chromium's WebCrypto does not implement it. */
export const AES_CTR_KEY_LENGTHS: Readonly<Record<AesCtrName, number>> = {
  'aes-256-ctr': 32,
  'aes-128-ctr': 16,
};
