import {
  UnsupportedError, UsageError, WrongPassphraseError, assertBytes, assertSafeInteger, equalBytes, formatBytes, type Backend, type ReadOptions,
} from '@qubes-backup/core';
import { parseScryptHeader, type ScryptHeader } from './header.js';
import type { ScryptPrimitives } from './_primitives.js';

/** Default KDF memory limit: 2 GiB (the CLI picks 1 GiB, logN 20, on a large machine). */
export const DEFAULT_MAXMEM = 2 * 1024 ** 3;
/** The largest logN accepted whatever `maxmem` says (scrypt itself allows 63). */
export const MAX_LOGN = 30;

/**
 * Keys derived for one unit, checked against its header HMAC. The key bytes are not exposed; they
 * are zeroed by `wipe()`, which `decryptScryptWithKeys` calls when its stream ends or fails.
 */
export interface ScryptKeys {
  readonly header: ScryptHeader;
  readonly backend: Backend;
  /** True once wiped: the keys can no longer decrypt. */
  readonly wiped: boolean;
  wipe(): void;
}

export interface KeyMaterial {
  /** dk[0..32] is the AES key, dk[32..64] the HMAC key. */
  readonly dk: Uint8Array;
  readonly prims: ScryptPrimitives;
}

// Held outside the object so key bytes never show up in logs or structured clones of ScryptKeys.
const material = new WeakMap<ScryptKeys, KeyMaterial>();

export function keyMaterial(keys: ScryptKeys): KeyMaterial {
  const m = material.get(keys);
  if (m === undefined) throw new UsageError('scrypt keys were already used or wiped (derive them again)');
  return m;
}

export interface DeriveOptions {
  /** KDF memory limit in bytes (128·r·(N + 2 + p)), checked before anything is allocated. Default 2 GiB. */
  maxmem?: number;
  signal?: AbortSignal;
  /** Needed now (not ahead of use): goes before look-ahead derivations waiting for their turn. */
  urgent?: boolean;
  /** Told what the derivation costs, for people (`scrypt, 1.0 GiB, ~3 s`), before it waits for its turn. */
  onStatus?: ReadOptions['onStatus'];
}

/** A derivation's cost in words: its memory, and its time once one of that size was timed here. */
function derivationCost(memory: number, ms: number | undefined): string {
  const time = ms === undefined ? '' : ms < 950 ? ', <1 s' : `, ~${Math.round(ms / 1000)} s`;
  return `scrypt, ${formatBytes(memory)}${time}`;
}

/** Refuses parameters beyond our limits (they are valid scrypt, so this is UnsupportedError, not corruption). */
export function checkLimits(header: ScryptHeader, maxmem: number): void {
  if (header.logN > MAX_LOGN) {
    throw new UnsupportedError(`scrypt logN=${header.logN} is above the supported maximum ${MAX_LOGN}`);
  }
  if (header.memory > maxmem) {
    const mib = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`;
    throw new UnsupportedError(
      `scrypt parameters logN=${header.logN} r=${header.r} p=${header.p} need ${mib(header.memory)}, ` +
        `above the maxmem limit of ${mib(maxmem)} (raise maxmem if this machine has the memory)`,
    );
  }
}

export function checkMaxmem(maxmem: number): void {
  assertSafeInteger(maxmem, 'maxmem', 1);
}

/** Derives dk for a unit header and checks the header HMAC (WrongPassphraseError on mismatch). */
export async function deriveKeysWith(
  prims: ScryptPrimitives,
  head: Uint8Array | ScryptHeader,
  passphrase: Uint8Array,
  opts: DeriveOptions = {},
): Promise<ScryptKeys> {
  assertBytes(passphrase, 'passphrase');
  const maxmem = opts.maxmem ?? DEFAULT_MAXMEM;
  checkMaxmem(maxmem);
  const header = head instanceof Uint8Array ? parseScryptHeader(head) : head;
  checkLimits(header, maxmem);
  opts.signal?.throwIfAborted();
  const { signal, urgent } = opts;
  opts.onStatus?.(derivationCost(header.memory, prims.scheduler.estimate(header.memory)));
  const dk = await prims.scheduler.run(header.memory, () => prims.scrypt(passphrase, header.salt, header.N, header.r, header.p, signal), {
    ...(urgent ? { urgent } : {}), ...(signal ? { signal } : {}),
  });
  const mac = prims.hmacSha256(dk.subarray(32, 64));
  mac.update(header.bytes.subarray(0, 64));
  if (!equalBytes(mac.digest(), header.headerMac)) {
    dk.fill(0);
    throw new WrongPassphraseError('wrong passphrase (scrypt header HMAC does not verify)');
  }
  let wiped = false;
  const keys: ScryptKeys = {
    header,
    backend: prims.backend,
    get wiped() { return wiped; },
    wipe() {
      if (wiped) return;
      wiped = true;
      dk.fill(0);
      material.delete(keys);
    },
  };
  material.set(keys, { dk, prims });
  return keys;
}
