import type { Backend } from '@qubes-backup/core';
import type { DerivationScheduler } from './scheduler.js';

/** An incremental MAC. */
export interface IncrementalMac {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** A keystream cipher fed in order; every piece but the last is a multiple of 16 bytes. */
export interface CtrDecryptor {
  update(piece: Uint8Array): Uint8Array;
}

/** What a backend provides to the scrypt container code. */
export interface ScryptPrimitives {
  readonly backend: Backend;
  /** scrypt(pass, salt, N, r, p) → 64 bytes, without blocking the event loop for long. */
  scrypt(pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Where every `scrypt` call of these primitives waits for its turn (one per process or page). */
  readonly scheduler: DerivationScheduler;
  hmacSha256(key: Uint8Array): IncrementalMac;
  /** AES-256-CTR with the all-zero initial counter block. */
  aes256Ctr(key: Uint8Array): CtrDecryptor;
  /**
   * Optional one-shot forms, used instead of the incremental ones when present: a host whose fast
   * primitives are one-shot and asynchronous (WebCrypto in browsers, over 1 GB/s against about
   * 50 MB/s for pure JS) gives the whole unit to the MAC at once (a unit is buffered until its tag
   * verifies anyway; this costs one more copy of it) and the cipher slices of it.
   */
  hmacSha256Of?(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** AES-256-CTR of `data`, which starts at block `firstBlock` of the stream (the counter's value there). */
  aes256CtrOf?(key: Uint8Array, data: Uint8Array, firstBlock: number): Promise<Uint8Array>;
}
