/** The digests `openssl dgst -<alg> -hmac` tags are read for, in lowercase openssl spelling. */
export const HMAC_ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'ripemd160'] as const;

export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

/** Other spellings openssl accepts for the same digest (matched case-insensitively by the registry). */
export const HMAC_ALIASES: Readonly<Partial<Record<HmacAlgorithm, readonly string[]>>> = {
  ripemd160: ['rmd160', 'ripemd'],
};

export function isHmacAlgorithm(name: string): name is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly string[]).includes(name);
}
