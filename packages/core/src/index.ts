/**
 * @qubes-backup/core: the vocabulary every other package shares.
 *
 * - **Source**: where backup bytes come from (a file, seekable; or a pipe).
 * - **Container**: an archive of named members (the outer tar of a backup, each inner tar).
 * - **Mac**: verifies bytes against a stored tag. **Cipher**: turns ciphertext into plaintext.
 * - **Compressor**: a streaming decoder named by the header's `compression-filter`.
 * - **FormatPlugin**: one backup format version; composes the above, found in the **Registry**.
 *
 * Data flows one way: source → container → mac/cipher → compressor → inner tar → sink.
 */
export * from './errors.js';
export * from './bytes.js';
export * from './byte-reader.js';
export * from './streams.js';
export * from './plugin.js';
export * from './model.js';
export * from './registry.js';
export * from './backup-header.js';
export * from './member-cursor.js';
export * from './compression-filter.js';
export * from './stored-path-owners.js';
export * from './hmac-chunks.js';
export * from './inner-file.js';
