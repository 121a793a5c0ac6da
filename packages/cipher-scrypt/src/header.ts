import { CorruptBackupError, assertBytes, equalBytes } from '@qubes-backup/core';
import { sha256 } from '@noble/hashes/sha2.js';

/** Bytes before the ciphertext: magic, version, logN, r, p, salt, checksum, header HMAC. */
export const SCRYPT_HEADER_SIZE = 96;
/** The whole-unit HMAC after the ciphertext. */
export const SCRYPT_TRAILER_SIZE = 32;
/** A unit with an empty plaintext. */
export const SCRYPT_MIN_UNIT_SIZE = SCRYPT_HEADER_SIZE + SCRYPT_TRAILER_SIZE;

const MAGIC = [0x73, 0x63, 0x72, 0x79, 0x70, 0x74]; // "scrypt"
const NOT_SCRYPT = 'not a valid scrypt-encrypted block';

/** The parsed, checksum-verified header of one `scrypt enc` unit. */
export interface ScryptHeader {
  /** N = 2^logN. */
  readonly logN: number;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** 32 bytes. */
  readonly salt: Uint8Array;
  /** HMAC-SHA256(dk[32..64], bytes 0..64): the passphrase check. */
  readonly headerMac: Uint8Array;
  /** The 96 header bytes (a copy). */
  readonly bytes: Uint8Array;
  /** Memory the KDF is charged with: 128·r·(N + 2 + p) bytes (lanes one after another), compared with `maxmem`. */
  readonly memory: number;
}

/** True when `head` starts like a scrypt unit (as far as it goes). */
export function looksLikeScrypt(head: Uint8Array): boolean {
  const n = Math.min(head.length, MAGIC.length + 1);
  for (let i = 0; i < n; i++) if (head[i] !== (i < MAGIC.length ? MAGIC[i] : 0)) return false;
  return true;
}

/**
 * Parses the first 96 bytes of a unit: magic, version 0, the SHA-256 checksum, and parameters that
 * scrypt itself accepts (logN 1..63, r and p ≥ 1, r·p < 2^30). Resource limits are not applied here
 * (see `deriveScryptKeys`). Throws CorruptBackupError.
 */
export function parseScryptHeader(head: Uint8Array): ScryptHeader {
  assertBytes(head, 'head');
  if (!looksLikeScrypt(head)) throw new CorruptBackupError(NOT_SCRYPT);
  if (head.length < SCRYPT_HEADER_SIZE) {
    throw new CorruptBackupError(`truncated scrypt unit: ${head.length} bytes, the header alone needs ${SCRYPT_HEADER_SIZE}`);
  }
  const bytes = head.slice(0, SCRYPT_HEADER_SIZE);
  if (!equalBytes(sha256(bytes.subarray(0, 48)).subarray(0, 16), bytes.subarray(48, 64))) {
    throw new CorruptBackupError(`${NOT_SCRYPT} (header checksum mismatch)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const logN = bytes[7]!;
  const r = view.getUint32(8);
  const p = view.getUint32(12);
  if (logN < 1 || logN > 63 || r === 0 || p === 0 || r * p >= 2 ** 30) {
    throw new CorruptBackupError(`invalid scrypt parameters logN=${logN} r=${r} p=${p}`);
  }
  const N = 2 ** logN;
  return {
    logN, N, r, p,
    salt: bytes.subarray(16, 48),
    headerMac: bytes.subarray(64, 96),
    bytes,
    // V (128·r·N) and two working blocks (256·r) for one lane at a time, and the p lanes' blocks
    // (128·r·p): lanes run one after another, so p does not multiply V (as scrypt's own and
    // OpenSSL's accounting has it). Counted p times, a backup made on a small dom0 (scrypt picks
    // p > 1 when memory-bound) was refused on a restore machine of a few GiB.
    memory: 128 * r * (N + 2 + p),
  };
}
