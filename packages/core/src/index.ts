/**
 * @qubes-backup/core: the vocabulary every other package shares, and nothing about any one format.
 *
 * - **Source**: where backup bytes come from (a file, seekable; a pipe; a folder of files).
 * - **Container**: an archive of named members (tar). **Member**: one file, folder or link in it.
 * - **Mac**: verifies bytes against a stored tag. **Cipher**: turns ciphertext into plaintext.
 *   **Hash**, **Kdf**, **StreamCipher**: primitives formats compose (HMAC ids, PBKDF2, scrypt,
 *   AES-CTR, XChaCha20-Poly1305).
 * - **Compressor**: a streaming decoder, named by the backup (`gzip`, `lz4`, ...).
 * - **FormatPlugin**: one backup format; recognizes its inputs and composes the above, all found in
 *   the **Registry**. An opened backup holds **units** (VMs, archives), each a tree of **members**.
 *
 * Data flows one way: source → container → mac/cipher → compressor → members → sink.
 */
export * from './errors.js';
export * from './bytes.js';
export * from './byte-reader.js';
export * from './plugin.js';
export * from './registry.js';
