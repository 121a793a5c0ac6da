/**
 * @qubes-backup/cipher-aes: AES in counter mode as `StreamCipher` plugins (`aes-256-ctr`, the
 * cipher of Borg 1.x repositories and key files, and `aes-128-ctr`).
 *
 * - **Counter**: the 16-byte IV is the first counter block; each next block adds one, big-endian
 *   over all 128 bits (modulo 2^128), as OpenSSL does. Encrypting and decrypting are the same.
 * - **No tag**: give it only bytes a MAC already verified.
 * - **Backends**: `aesCtrPortable` (WebCrypto, else @noble/ciphers; runs in browsers) is exported
 *   here; `aesCtrNode` (node:crypto) from `@qubes-backup/cipher-aes/node`, so that this entry
 *   point never loads a node:* module.
 */
export { AES_CTR_IV_LENGTH, AES_CTR_KEY_LENGTHS, AES_CTR_NAMES, type AesCtrName } from './algorithms.js';
export { aesCtrPortable } from './portable.js';
