/**
 * @qubes-backup/mac-hmac: the `.hmac` files of Qubes backup formats 2 and 3 as Macs.
 *
 * - **Tag**: the content of a `.hmac` file, the text `openssl dgst -<alg> -hmac <passphrase>` printed,
 *   e.g. `SHA2-512(stdin)= 6ba0…`; only the hex after `=` matters.
 * - **Key**: the raw passphrase bytes (no KDF).
 * - **Data**: the stored chunk bytes (the ciphertext when the backup is encrypted).
 *
 * `node` descriptors use node:crypto; `portable` ones use @noble/hashes and run in browsers.
 */
export { HMAC_ALGORITHMS, HMAC_ALIASES, type HmacAlgorithm } from './algorithms.js';
export { MAX_HMAC_FILE_SIZE, parseHmacTag } from './tag.js';
export type { HmacMacOptions } from './api.js';
export { hmacMacsPortable, createHmacMac } from './portable.js';
