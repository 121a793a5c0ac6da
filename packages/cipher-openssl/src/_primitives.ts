import type { Backend } from '@qubes-backup/core';
import type { OpensslCipherSpec } from './ciphers.js';

export type OpensslDigest = 'md5' | 'sha256';

/** A streaming decryptor: `update` in order, then `final` once (which checks CBC padding). */
export interface Decryptor {
  update(chunk: Uint8Array): Uint8Array;
  /** The last bytes; throws CorruptBackupError when the padding is wrong. */
  final(): Uint8Array;
}

export interface OpensslPrimitives {
  readonly backend: Backend;
  hash(digest: OpensslDigest, data: Uint8Array): Uint8Array;
  decryptor(spec: OpensslCipherSpec, key: Uint8Array, iv: Uint8Array): Decryptor;
}

export const BAD_DECRYPT = 'bad decrypt: wrong passphrase or digest (padding check failed)';
