import { pbkdf2Sync } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { WASM_MAX_MEMORY, romixBlocks, romixModule, scryptWasmMemory } from './scrypt-wasm.js';

/** A thread idle this long ends, and gives back its memory (1 GiB at logN 20). */
const IDLE_MS = 2000;

// A worker made from text runs wherever this module does (the built package, the one-file bundle,
// Jest on the TypeScript sources), where a worker file would have to be found next to it.
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const romixBlocks = ${romixBlocks.toString()};
const m = new WebAssembly.Instance(workerData, {}).exports;
parentPort.on('message', ({ B, N, r, p }) => {
  try {
    romixBlocks(m, B, N, r, p);
    parentPort.postMessage({ B }, [B.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  } finally {
    m.wipe(Math.min(m.memory.buffer.byteLength, 128 * r * (N + 2)));
  }
});`;

interface Thread {
  readonly worker: Worker;
  timer?: ReturnType<typeof setTimeout>;
}

const idle: Thread[] = [];

function spawn(): Thread {
  const worker = new Worker(PROGRAM, { eval: true, workerData: romixModule() });
  worker.unref(); // an idle thread never keeps the process alive
  return { worker };
}

function release(t: Thread): void {
  t.timer = setTimeout(() => {
    idle.splice(idle.indexOf(t), 1);
    void t.worker.terminate();
  }, IDLE_MS);
  t.timer.unref();
  idle.push(t);
}

/** ROMix of B's p blocks in a worker thread (B is transferred there and back; the result is a new array). */
function romixInThread(B: Uint8Array<ArrayBuffer>, N: number, r: number, p: number, signal?: AbortSignal): Promise<Uint8Array> {
  const t = idle.pop() ?? spawn();
  clearTimeout(t.timer);
  return new Promise<Uint8Array>((resolve, reject) => {
    const done = () => {
      t.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (msg: { B?: Uint8Array; error?: string }) => {
      done();
      release(t);
      if (msg.B) resolve(msg.B); else reject(new Error(`scrypt failed: ${msg.error}`));
    };
    const onError = (e: Error) => { done(); reject(new Error(`the scrypt thread failed: ${e.message}`)); };
    const onExit = () => { done(); reject(new Error('the scrypt thread ended')); };
    // A derivation cannot be stopped inside the thread: ending the thread frees its memory at once.
    const onAbort = () => { done(); void t.worker.terminate(); reject(signal!.reason); };
    t.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    t.worker.postMessage({ B, N, r, p }, [B.buffer]);
  });
}

/**
 * scrypt with ROMix in WebAssembly SIMD, in worker threads that keep their memory between
 * derivations: at logN 20 a derivation after the first touches no fresh page, where node's
 * crypto.scrypt allocates and faults in its 1 GiB every time (measured on a 2-core VM: 3.3 s against
 * 5.3 s per derivation; the first one 6.3 s). The PBKDF2 steps around it (one iteration) run here.
 */
export async function scryptInThreads(pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, signal?: AbortSignal): Promise<Uint8Array> {
  const first = pbkdf2Sync(pass, salt, 1, p * 128 * r, 'sha256');
  const B = new Uint8Array(first); // its own buffer, to transfer (a small Buffer may share node's pool)
  first.fill(0);
  const mixed = await romixInThread(B, N, r, p, signal);
  const dk = pbkdf2Sync(pass, mixed, 1, 64, 'sha256');
  mixed.fill(0);
  const key = new Uint8Array(dk);
  dk.fill(0);
  return key;
}

/**
 * Smaller derivations stay with node:crypto: a thread's isolate costs about 20 MiB of RSS for as long
 * as it lives, and fresh pages cost little below this (logN 14, 16 MiB: 81 ms against 45 ms, 25 of them
 * in a restore of case b, for 50 MiB more peak RSS with two threads).
 */
export const WASM_MIN_MEMORY = 128 * 2 ** 20;

/** Whether a derivation is one for the WebAssembly threads: large enough to gain, small enough to fit. */
export const wantsWasm = (N: number, r: number): boolean => {
  const bytes = scryptWasmMemory(N, r);
  return bytes >= WASM_MIN_MEMORY && bytes <= WASM_MAX_MEMORY;
};
