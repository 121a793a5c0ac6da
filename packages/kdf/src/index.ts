/**
 * @qubes-backup/kdf: the key derivation functions Borg repositories and Wyng archives use, as `Kdf` plugins.
 *
 * - **PBKDF2** (`pbkdf2-sha256`, `pbkdf2-sha512`): RFC 8018 with HMAC; params `salt`,
 *   `iterations` (1..10 000 000), `length` (1..1024). Borg 1.x key files: SHA-256, 100 000, 32.
 * - **HKDF** (`hkdf-sha256`, `hkdf-sha512`): RFC 5869 extract then expand; params `salt` (may be
 *   empty), `info` (optional, at most 1024 bytes), `length` (1..255 × HashLen).
 * - **scrypt** (`scrypt`): RFC 7914; params `salt`, `cost` (N, a power of two), `blockSize` (r),
 *   `parallelism` (p, at most 64), `length` (1..1024); at most 2 GiB of memory
 *   (`scryptMemory`). Wyng archives: N = 2^19, r = 8, p = 1, 32 bytes.
 * - **Backends**: `kdfPortable` (@noble/hashes, yields to the event loop) is exported here;
 *   `kdfNode` (node:crypto, in the thread pool) from `@qubes-backup/kdf/node`, so that this entry
 *   point never loads a node:* module.
 */
export { KDF_NAMES, KDF_SPECS, type KdfName, type KdfSpec } from './algorithms.js';
export {
  MAX_HKDF_INFO, MAX_PBKDF2_ITERATIONS, MAX_PBKDF2_LENGTH, MAX_SCRYPT_MEMORY, MAX_SCRYPT_PARALLELISM, maxHkdfLength, scryptMemory,
  type HkdfParams, type Pbkdf2Params, type ScryptParams,
} from './params.js';
export { kdfPortable, PBKDF2_ASYNC_TICK_MS } from './portable.js';
