/**
 * @qubes-backup/cipher-openssl: `openssl enc` decryption for Qubes backup formats 2 and 3.
 *
 * - **Stream**: `Salted__`, an 8-byte salt, then ciphertext. Format 3 encrypts a whole archive as one
 *   stream split into chunks (decrypt the concatenation); format 2 encrypts each chunk on its own.
 * - **Key derivation**: EVP_BytesToKey(digest, count 1) from the passphrase and salt. Qubes R2/R3 used
 *   MD5 (OpenSSL 1.0.x), so registry descriptors use MD5; `createOpensslCipher` also offers SHA-256.
 * - **Modes**: CBC (PKCS#7 padding, checked at the end), CTR, CFB (CFB128), OFB: AES-128/192/256.
 *
 * These ciphers carry no tag: feed them only bytes a Mac (the `.hmac` files) already verified.
 */
export {
  OPENSSL_CIPHER_NAMES, OPENSSL_CIPHER_ALIASES, opensslCipherSpec,
  type OpensslCipherName, type OpensslCipherSpec, type OpensslMode,
} from './ciphers.js';
export { evpBytesToKey, type HashFn } from './evp-bytes-to-key.js';
export type { OpensslDigest } from './_primitives.js';
export type { OpensslCipherOptions } from './api.js';
export { opensslCiphersPortable, createOpensslCipher } from './portable.js';
