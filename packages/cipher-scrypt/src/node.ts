import { createDecipheriv, createHmac, scrypt } from 'node:crypto';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import type { ScryptPrimitives } from './_primitives.js';
import { scryptDescriptors, scryptFactories } from './api.js';
import { scryptPrimitivesPortable } from './portable.js';
import { DerivationScheduler, type DerivationBudget } from './scheduler.js';
import { scryptInThreads, wantsWasm } from './wasm-threads.js';

const SLACK = 64 * 1024 * 1024;
/** Left to the rest of the restore (buffers, decompressors) and to the rest of the machine. */
const RESERVE = 256 * 1024 * 1024;

/**
 * The cores, and at most half of the machine's memory or what is available now less a reserve,
 * whichever is smaller (os.freemem() is Linux's MemAvailable: what can be had without swapping).
 */
export function machineBudget(): DerivationBudget {
  return { cores: availableParallelism(), memory: Math.min(totalmem() / 2, Math.max(0, freemem() - RESERVE)) };
}

/** False once a WebAssembly thread could not be made on this machine. */
let threadsWork = true;

/**
 * node primitives. The KDF runs off the main thread: from 128 MiB (logN 17 at r 8) ROMix in
 * WebAssembly SIMD in worker threads that keep their memory (the fastest there by measurement:
 * tools/bench/scrypt-floor.mjs), node:crypto's async scrypt (libuv's thread pool) below that and
 * beyond one WebAssembly memory (4 GiB); never scryptSync.
 */
export const scryptPrimitivesNode: ScryptPrimitives = {
  backend: 'node',
  // One for the process: each derivation runs on a thread of its own, so several would run at once.
  scheduler: new DerivationScheduler(machineBudget),
  async scrypt(pass, salt, N, r, p, signal) {
    if (threadsWork && wantsWasm(N, r)) {
      try {
        return await scryptInThreads(pass, salt, N, r, p, signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        // No WebAssembly memory to be had here (V8 reserves ~10 GiB of address space for one: a
        // `ulimit -v` refuses it): node:crypto, which needs only what it uses, from now on.
        threadsWork = false;
      }
    }
    // OpenSSL refuses N ≥ 2^(16·r) (an RFC 7914 rule the scrypt CLI does not apply); only r = 1 can hit it.
    if (Math.log2(N) >= 16 * r) {
      return scryptAsync(pass, salt, { N, r, p, dkLen: 64, maxmem: 128 * N * r * p + 128 * r * (p + 2) });
    }
    const dk = await new Promise<Uint8Array>((resolve, reject) => {
      scrypt(pass, salt, 64, { N, r, p, maxmem: 128 * N * r * p + SLACK }, (err, key) => {
        if (err) reject(err); else resolve(key);
      });
    });
    if (signal?.aborted) { dk.fill(0); signal.throwIfAborted(); }
    return dk;
  },
  hmacSha256(key) {
    const h = createHmac('sha256', key);
    return { update: (d) => { h.update(d); }, digest: () => h.digest() };
  },
  aes256Ctr(key) {
    const d = createDecipheriv('aes-256-ctr', key, new Uint8Array(16));
    return { update: (piece) => d.update(piece) };
  },
};

/** `scrypt` as a Cipher and as the format-4 header Mac (node:crypto). */
export const { cipher: scryptCipherNode, mac: scryptMacNode } = scryptDescriptors(scryptPrimitivesNode);

/** The factories with both backends, `node` by default. */
export const { createScryptCipher, createScryptMac, deriveScryptKeys } = scryptFactories(
  { node: scryptPrimitivesNode, portable: scryptPrimitivesPortable }, 'node');
