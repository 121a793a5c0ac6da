import ScryptWorker from './worker.ts?worker&inline';
import type { DeriveReply, DeriveRequest } from './protocol.js';

/** A finished derivation, for the page's figures (docs/performance.md). */
export interface Derivation {
  readonly N: number;
  readonly ms: number;
  readonly engine: 'wasm' | 'js';
}

/**
 * A worker pool for scrypt: at most `size` derivations at once, each in its own worker, so the
 * page never waits on one and upcoming chunks' keys are derived in parallel. A worker keeps its
 * WebAssembly memory (up to 1 GiB at logN 20) while it lives, so idle workers are ended.
 */
export interface ScryptPool {
  derive(pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Every derivation so far. */
  readonly log: Derivation[];
}

const IDLE_MS = 3000;

export function scryptPool(size: number): ScryptPool {
  const idle: Worker[] = [];
  const waiting: (() => void)[] = [];
  let running = 0;
  let nextId = 0;
  const log: Derivation[] = [];
  const timers = new Map<Worker, ReturnType<typeof setTimeout>>();

  const acquire = async (): Promise<Worker> => {
    while (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    const w = idle.pop();
    if (w) { clearTimeout(timers.get(w)); timers.delete(w); return w; }
    return new ScryptWorker({ name: 'scrypt' });
  };
  const release = (w: Worker | undefined) => {
    running--;
    if (w) {
      idle.push(w);
      timers.set(w, setTimeout(() => { idle.splice(idle.indexOf(w), 1); timers.delete(w); w.terminate(); }, IDLE_MS));
    }
    waiting.shift()?.();
  };

  return {
    log,
    async derive(pass, salt, N, r, p, signal) {
      signal?.throwIfAborted();
      const worker = await acquire();
      const id = ++nextId;
      let reusable = true;
      try {
        return await new Promise<Uint8Array>((resolve, reject) => {
          const onAbort = () => {
            // A derivation cannot be interrupted inside the worker: ending the worker frees its memory at once.
            reusable = false;
            worker.terminate();
            reject(signal!.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          worker.onmessage = (ev: MessageEvent<DeriveReply>) => {
            if (ev.data.id !== id) return;
            signal?.removeEventListener('abort', onAbort);
            if ('error' in ev.data) reject(new Error(`scrypt failed: ${ev.data.error}`));
            else {
              log.push({ N, ms: ev.data.ms, engine: ev.data.engine });
              resolve(ev.data.key);
            }
          };
          worker.onerror = (ev) => { reusable = false; worker.terminate(); reject(new Error(`the scrypt worker failed: ${ev.message}`)); };
          const req: DeriveRequest = { id, pass: pass.slice(), salt: salt.slice(), N, r, p, dkLen: 64 };
          worker.postMessage(req);
        });
      } finally {
        release(reusable ? worker : undefined);
      }
    },
  };
}
