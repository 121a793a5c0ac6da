import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ROMIX_WASM_BASE64 } from './romix-wasm.js';

const PAGE = 64 << 10;
/** What one derivation may need here: WebAssembly (wasm32) memory tops out at 65536 pages (4 GiB), less a page. */
export const WASM_MAX_MEMORY = 65536 * PAGE - PAGE;

/** romix.wat's exports. */
export interface RomixModule {
  readonly memory: WebAssembly.Memory;
  romix(r: number, N: number): void;
  wipe(bytes: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** The compiled romix.wat, shared by every ScryptWasm (each has its own instance and memory). */
export function romixModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Uint8Array.from(atob(ROMIX_WASM_BASE64), (c) => c.charCodeAt(0)));
  return compiled;
}

/** Bytes of WebAssembly memory scrypt(N, r) needs here: V (128·N·r) and two working blocks (256·r). */
export function scryptWasmMemory(N: number, r: number): number {
  return 128 * r * (N + 2);
}

export interface ScryptWasmOptions {
  /**
   * Zero V (128·N·r bytes, 1 GiB at N = 2^20, r = 8) after each derivation, not only the working
   * blocks. Default true. V lets whoever reads it test a passphrase guess with at most N BlockMix
   * and no memory (V[0] is PBKDF2(pass, salt)), so it is secret; false leaves it until the next
   * derivation overwrites it or wipe() is called, for a caller deriving many keys back to back.
   */
  readonly wipeV?: boolean;
}

/**
 * scrypt (RFC 7914) with ROMix in WebAssembly SIMD (romix.wat) and the PBKDF2-HMAC-SHA256 steps in
 * @noble/hashes. One instance holds one WebAssembly.Memory, grown to the largest parameters seen
 * and reused, so the derivations after the first touch no fresh pages (node's crypto.scrypt
 * allocates, faults in and frees its 128·N·r bytes each time). WebAssembly memory never shrinks:
 * drop the instance to give the memory back. Synchronous: run it in a worker thread.
 */
export class ScryptWasm {
  readonly #m: RomixModule;
  readonly #wipeV: boolean;
  /** Bytes from 0 that derivations wrote since the last full wipe. */
  #dirty = 0;

  constructor(options: ScryptWasmOptions = {}) {
    this.#m = new WebAssembly.Instance(romixModule(), {}).exports as unknown as RomixModule;
    this.#wipeV = options.wipeV ?? true;
  }

  /** Bytes of memory this instance holds now. */
  get memoryBytes(): number {
    return this.#m.memory.buffer.byteLength;
  }

  /** The memory itself, to check what a derivation leaves in it (tests). */
  get memory(): WebAssembly.Memory {
    return this.#m.memory;
  }

  /** scrypt(pass, salt, N, r, p, dkLen). N a power of 2 ≥ 2, r·p < 2^30, 128·r·(N + 2) ≤ 4 GiB. */
  derive(pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, dkLen = 64): Uint8Array {
    if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 31) throw new RangeError(`scrypt: N must be a power of 2 ≥ 2, got ${N}`);
    if (!Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1 || r * p >= 2 ** 30) throw new RangeError(`scrypt: bad r=${r}, p=${p}`);
    if (!Number.isSafeInteger(dkLen) || dkLen < 1) throw new RangeError(`scrypt: bad dkLen ${dkLen}`);
    const need = scryptWasmMemory(N, r);
    if (need > WASM_MAX_MEMORY) throw new RangeError(`scrypt: N=${N}, r=${r} needs ${need} bytes, over WebAssembly's 4 GiB`);
    const m = this.#m;
    const bs = 128 * r;
    const B = pbkdf2(sha256, pass, salt, { c: 1, dkLen: p * bs });
    this.#dirty = Math.max(this.#dirty, need);
    try {
      romixBlocks(m, B, N, r, p);
      return pbkdf2(sha256, pass, B, { c: 1, dkLen });
    } finally {
      B.fill(0);
      if (this.#wipeV) this.wipe();
      else m.wipe(2 * bs);
    }
  }

  /** Zeroes everything derivations left in memory (V included). */
  wipe(): void {
    if (this.#dirty > 0) this.#m.wipe(this.#dirty);
    this.#dirty = 0;
  }
}

/**
 * ROMix of each of the p blocks of B (PBKDF2's output, 128·r bytes each) in place, in `m`'s memory,
 * grown to 128·r·(N + 2) bytes first if smaller. Leaves V and the working blocks in the memory: the
 * caller wipes. Self-contained on purpose (no name from outside its body): node's worker threads run
 * its source text (wasm-threads.ts).
 */
export function romixBlocks(m: RomixModule, B: Uint8Array, N: number, r: number, p: number): void {
  const bs = 128 * r;
  const have = m.memory.buffer.byteLength;
  const need = bs * (N + 2);
  if (have < need) m.memory.grow(Math.ceil((need - have) / 65536));
  for (let i = 0; i < p; i++) {
    const mem = new Uint8Array(m.memory.buffer);
    mem.set(B.subarray(i * bs, (i + 1) * bs), 0);
    m.romix(r, N);
    B.set(mem.subarray(bs, 2 * bs), i * bs);
  }
}

let shared: ScryptWasm | undefined;

/**
 * scrypt(pass, salt, N, r, p, dkLen) on one ScryptWasm kept for the thread (its memory stays at the
 * largest size used; V is wiped after each call).
 */
export function scryptWasm(pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, dkLen = 64): Uint8Array {
  shared ??= new ScryptWasm();
  return shared.derive(pass, salt, N, r, p, dkLen);
}
