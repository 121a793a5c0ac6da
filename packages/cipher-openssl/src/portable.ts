import { cbc, cfb, ctr } from '@noble/ciphers/aes.js';
import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CorruptBackupError, addToCounter128, type PluginDescriptor } from '@qubes-backup/core';
import type { OpensslCipherSpec } from './ciphers.js';
import { BAD_DECRYPT, type Decryptor, type OpensslPrimitives } from './_primitives.js';
import { opensslDescriptors, opensslFactory } from './api.js';

const EMPTY = new Uint8Array(0);

/** Decrypts a run of bytes (whole blocks, except possibly the very last run) and advances the chaining state. */
type Step = (key: Uint8Array, state: Uint8Array, input: Uint8Array) => Uint8Array;

const STEPS: Record<OpensslCipherSpec['mode'], Step> = {
  cbc(key, state, input) {
    const next = input.slice(input.length - 16);
    const out = cbc(key, state.slice(), { disablePadding: true }).decrypt(input);
    state.set(next);
    return out;
  },
  ctr(key, state, input) {
    const out = ctr(key, state.slice()).decrypt(input);
    addToCounter128(state, Math.ceil(input.length / 16));
    return out;
  },
  cfb(key, state, input) {
    const out = cfb(key, state.slice()).decrypt(input);
    if (input.length >= 16 && input.length % 16 === 0) state.set(input.subarray(input.length - 16));
    return out;
  },
  ofb(key, state, input) {
    // The OFB keystream is the CBC encryption of zero blocks: O_i = E(O_(i-1)), O_0 = IV.
    const n = Math.ceil(input.length / 16) * 16;
    const ks = cbc(key, state.slice(), { disablePadding: true }).encrypt(new Uint8Array(n));
    state.set(ks.subarray(n - 16));
    const out = new Uint8Array(input.length);
    for (let i = 0; i < input.length; i++) out[i] = input[i]! ^ ks[i]!;
    return out;
  },
};

/** PKCS#7 as OpenSSL checks it: 1..16 bytes, all equal to the count. */
function unpad(block: Uint8Array): Uint8Array {
  const pad = block[15]!;
  let bad = pad === 0 || pad > 16 ? 1 : 0;
  for (let i = 0; i < 16; i++) bad |= i >= 16 - pad && block[i] !== pad ? 1 : 0;
  if (bad) throw new CorruptBackupError(BAD_DECRYPT);
  return block.subarray(0, 16 - pad);
}

function nobleDecryptor(spec: OpensslCipherSpec, key: Uint8Array, iv: Uint8Array): Decryptor {
  const step = STEPS[spec.mode];
  // Copies (a Buffer's slice() would be a view of the caller's bytes, wiped below).
  const k = new Uint8Array(key);
  const state = new Uint8Array(iv);
  let pending = EMPTY;
  let done = false;
  return {
    update(chunk) {
      if (done) throw new Error('decryptor already finished');
      const buf = pending.length === 0 ? chunk : concat(pending, chunk);
      let n = buf.length - (buf.length % 16);
      // CBC keeps the last whole block back: only final() knows it is the padded one.
      if (spec.padded && n === buf.length && n > 0) n -= 16;
      pending = buf.slice(n);
      return n > 0 ? step(k, state, buf.subarray(0, n)) : EMPTY;
    },
    final() {
      if (done) throw new Error('decryptor already finished');
      done = true;
      try {
        if (spec.padded) {
          if (pending.length !== 16) throw new CorruptBackupError(BAD_DECRYPT);
          return unpad(step(k, state, pending));
        }
        return pending.length > 0 ? step(k, state, pending) : EMPTY;
      } finally {
        k.fill(0);
        pending = EMPTY;
      }
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Pure-JS primitives (@noble): no node:* imports, runs in browsers. */
export const opensslPrimitivesPortable: OpensslPrimitives = {
  backend: 'portable',
  hash: (digest, data) => (digest === 'md5' ? md5(data) : sha256(data)),
  decryptor: nobleDecryptor,
};


/** The same ciphers as `opensslCiphersNode`, in pure JS (@noble/ciphers). */
export const opensslCiphersPortable: readonly PluginDescriptor<'cipher'>[] = opensslDescriptors(opensslPrimitivesPortable);

/** `createOpensslCipher` with the portable backend only (this entry point never loads node:*). */
export const createOpensslCipher = opensslFactory({ portable: opensslPrimitivesPortable }, 'portable');
