/// <reference lib="webworker" />
// Runs in a Web Worker (a Blob URL made from this inlined code): derives scrypt keys off the page's
// thread. cipher-scrypt's WebAssembly SIMD scrypt first, whose memory the worker keeps between
// derivations (at logN 20 the ones after the first fault in no fresh GiB: 3.3 s against 5.4 s for
// hash-wasm's, measured in Node by tools/bench/scrypt-floor.mjs); @noble's if WebAssembly is refused.
import { scryptWasm } from '@qubes-backup/cipher-scrypt';
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
        key = scryptWasm(pass, salt, N, r, p, dkLen);
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
