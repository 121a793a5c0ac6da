/**
 * @qubes-backup/hash: the hash functions Borg repositories compose, as `Hash` plugins.
 *
 * - **Names**: `sha256`, `sha512`, `blake2b-256` (BLAKE2b with a 32-byte digest, unkeyed).
 * - **State**: `create()` / `hmac(key)` give a fresh incremental state: `update` any number of
 *   times, then `digest` once. `hmac` is RFC 2104 HMAC over the hash (block 64 for SHA-256,
 *   128 for SHA-512 and BLAKE2b).
 * - **Fingerprints**: `read-twice`, a keyed digest under a fresh random key per `create()`, to tell
 *   whether bytes read twice are the same bytes (`fingerprintPortable`: HMAC-SHA256; `fingerprintNode`:
 *   GMAC, from `@qubes-backup/hash/node`).
 * - **Backends**: `hashPortable` (@noble/hashes, runs in browsers) is exported here;
 *   `hashNode` (node:crypto, sha256 and sha512 only) from `@qubes-backup/hash/node`, so that this
 *   entry point never loads a node:* module.
 */
export { HASH_NAMES, HASH_SPECS, type HashName, type HashSpec } from './algorithms.js';
export { hashPortable } from './portable.js';
export { fingerprintPortable } from './fingerprint-portable.js';
