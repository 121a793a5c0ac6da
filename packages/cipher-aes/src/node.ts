import { createDecipheriv } from 'node:crypto';
import type { PluginDescriptor, StreamCipher } from '@qubes-backup/core';
import { AES_CTR_NAMES, type AesCtrName } from './algorithms.js';
import { makeAesCtr, type CtrEngine } from './stream-cipher.js';

/**
 * A Buffer as a plain Uint8Array: a view when it owns its whole ArrayBuffer (megabytes of output are
 * not copied), else a copy. Node 20's update() returns Buffers of their own, but nothing promises
 * it; a slice of Node's shared pool would let `.buffer` reach other callers' bytes.
 */
function plain(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.buffer.byteLength === b.length ? new Uint8Array(b.buffer, 0, b.length) : new Uint8Array(b);
}

function engine(name: AesCtrName): CtrEngine {
  return async (key, iv, data) => {
    const d = createDecipheriv(name, key, iv);
    // One update over the whole message: feeding 512 KiB pieces into a preallocated output was
    // tried and was no faster (the cost that varies is the fresh output memory, either way).
    const out = plain(d.update(data));
    // CTR has no padding: final() gives nothing. Checked, not assumed.
    const rest = d.final();
    if (rest.length !== 0) throw new Error(`${name}: final() returned ${rest.length} bytes`);
    return out;
  };
}

function descriptor(name: AesCtrName): PluginDescriptor<'stream-cipher'> {
  return {
    kind: 'stream-cipher', name, backend: 'node',
    create: (): StreamCipher => makeAesCtr(name, 'node', engine(name)),
  };
}

/** AES-256-CTR and AES-128-CTR on node:crypto (OpenSSL). */
export const aesCtrNode: readonly PluginDescriptor<'stream-cipher'>[] = AES_CTR_NAMES.map(descriptor);
