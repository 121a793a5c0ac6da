/// <reference lib="webworker" />
// Runs in a Web Worker (a Blob URL made from this inlined code): derives scrypt keys off the page's
// thread. hash-wasm's WebAssembly scrypt first (about twice as fast as @noble's, deps.md §4.1);
// @noble's if WebAssembly is refused.
import { scrypt as wasmScrypt } from 'hash-wasm';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt.js';
import type { DeriveRequest, DeriveReply } from './protocol.js';

let wasmWorks = true;

self.onmessage = async (ev: MessageEvent<DeriveRequest>) => {
  const { id, pass, salt, N, r, p, dkLen } = ev.data;
  const started = performance.now();
  let reply: DeriveReply;
  try {
    let key: Uint8Array | undefined;
    if (wasmWorks) {
      try {
        key = await wasmScrypt({ password: pass, salt, costFactor: N, blockSize: r, parallelism: p, hashLength: dkLen, outputType: 'binary' });
      } catch {
        wasmWorks = false;
      }
    }
    key ??= nobleScrypt(pass, salt, { N, r, p, dkLen, maxmem: 128 * N * r * p + 128 * r * (p + 2) });
    reply = { id, key, ms: performance.now() - started, engine: wasmWorks ? 'wasm' : 'js' };
  } catch (e) {
    reply = { id, error: (e as Error).message };
  }
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply, 'key' in reply ? [reply.key.buffer as ArrayBuffer] : []);
};
