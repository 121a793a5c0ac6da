/**
 * @qubes-backup/format-borg: Borg 1.x repositories as a backup format plugin.
 *
 * - **Repository**: a folder: `config` (INI), **segments** `data/<n/1000>/<n>` of entries (PUT, DELETE,
 *   COMMIT, each with a CRC32), `index.N` (where each object of transaction N lives). A
 *   **transaction** ends with a COMMIT; append-only repositories keep every one (`--as-of N`).
 * - **Key**: in `config` (repokey) or a key file; PBKDF2-SHA256 protects it with the passphrase.
 *   Its first object byte says the mode: AES-256-CTR + HMAC-SHA256 or BLAKE2b, authenticated only, none.
 * - **Object**: envelope (type, MAC, nonce, ciphertext) → compression header (lz4, zstd, lzma, zlib,
 *   none, obfuscate) → plaintext, whose keyed hash is its **id**.
 * - **Manifest** (id 0…0) lists the **archives**; each archive's items are a msgpack stream of
 *   files, folders and links. Both carry a **TAM** (HMAC-SHA512 over their metadata).
 *
 * Every primitive and codec comes from the registry: `hash` (sha256, sha512, blake2b-256, crc32),
 * `kdf` (pbkdf2-sha256, hkdf-sha512), `stream-cipher` (aes-256-ctr), `compressor` (lz4, zstd, xz,
 * zlib, none). Nothing in the repository is ever written, locked or touched.
 */
export { formatBorg } from './format.js';
export type { BorgRepositoryInfo, BorgArchiveInfo } from './model.js';
