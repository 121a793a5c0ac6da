/**
 * @qubes-backup/cipher-scrypt: the `scrypt enc` container (backup format 4) as a Cipher and a Mac.
 *
 * - **Unit**: one `scrypt enc` output: a 96-byte header, the AES-256-CTR ciphertext, a 32-byte
 *   HMAC-SHA256 trailer over everything before it. Each format-4 chunk is one unit.
 * - **Header**: magic `scrypt`, version 0, logN, r, p, salt, a SHA-256 checksum, and the header
 *   HMAC that checks the passphrase.
 * - **Keys**: dk = scrypt(passphrase, salt, 2^logN, r, p, 64); dk[0..32] decrypts, dk[32..64] MACs.
 * - **maxmem**: the KDF memory limit (128·r·(N + 2 + p) bytes: the p lanes run one after another), checked before allocating.
 *
 * This entry point has the `portable` backend (@noble; runs in browsers); `@qubes-backup/cipher-scrypt/node`
 * adds the node:crypto one (descriptors and factories whose default backend is `node`).
 */
export {
  SCRYPT_HEADER_SIZE, SCRYPT_TRAILER_SIZE, SCRYPT_MIN_UNIT_SIZE, parseScryptHeader, type ScryptHeader,
} from './header.js';
export { DEFAULT_MAXMEM, MAX_LOGN, type ScryptKeys, type DeriveOptions } from './keys.js';
export { DEFAULT_MAX_UNIT_SIZE, type UnitOptions } from './unit.js';
export type { ScryptLimits } from './cipher.js';
export { decryptScryptWithKeys, type ScryptFactoryOptions, type DeriveScryptKeysOptions } from './api.js';
export { scryptCipherPortable, scryptMacPortable, createScryptCipher, createScryptMac, deriveScryptKeys } from './portable.js';
/**
 * For hosts that run the KDF elsewhere (a browser page deriving keys in Web Workers): descriptors
 * over primitives of their own, typically the portable ones with `scrypt` replaced.
 */
export { scryptDescriptors } from './api.js';
export { scryptPrimitivesPortable } from './portable.js';
/** The one-shot MAC and cipher of WebCrypto, to put in such primitives (a page's `crypto.subtle`). */
export { webCryptoPrimitives } from './webcrypto.js';
export type { ScryptPrimitives, IncrementalMac, CtrDecryptor } from './_primitives.js';
/** Every derivation of a set of primitives waits its turn here, within cores and memory (see the class). */
export { DerivationScheduler, type DerivationBudget, type ScheduleOptions, type SchedulerStats } from './scheduler.js';
/**
 * scrypt with ROMix in WebAssembly SIMD and one memory reused across derivations (synchronous: run it
 * in a worker, as packages/web does; the node backend runs the same ROMix in worker threads).
 */
export { ScryptWasm, scryptWasm, scryptWasmMemory, type ScryptWasmOptions } from './scrypt-wasm.js';
