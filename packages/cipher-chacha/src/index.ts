/**
 * @qubes-backup/cipher-chacha: XChaCha20 and XChaCha20-Poly1305 as `StreamCipher` plugins (the
 * ciphers of Wyng archives: data chunks and metadata).
 *
 * - **`xchacha20`**: a 32-byte key and a 24-byte nonce, the keystream from block 0; no tag.
 * - **`xchacha20-poly1305`**: the same with RFC 8439's Poly1305 tag; `data` is the ciphertext
 *   followed by its 16-byte tag (`tagLength`), checked before any plaintext is returned; a
 *   mismatch is an AuthenticationError.
 * - **Backends**: `chachaPortable` (@noble/ciphers) here; `chachaNode` (`xchacha20` only: an
 *   HChaCha20 subkey, then node:crypto's ChaCha20) from `@qubes-backup/cipher-chacha/node`.
 */
export {
  CHACHA_NAMES, POLY1305_TAG_LENGTH, XCHACHA_KEY_LENGTH, XCHACHA_NONCE_LENGTH, chachaPortable, type ChachaName, type XChachaEngine,
} from './chacha.js';
