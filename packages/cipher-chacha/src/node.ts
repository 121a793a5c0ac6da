import { createDecipheriv } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import type { PluginDescriptor } from '@qubes-backup/core';
import { makeChacha, type XChachaEngine } from './chacha.js';

/** "expand 32-byte k" as little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function words(bytes: Uint8Array, count: number): Uint32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = v.getUint32(i * 4, true);
  return out;
}

/**
 * XChaCha20 as OpenSSL can run it (draft-irtf-cfrg-xchacha section 2.3): the subkey is HChaCha20 of
 * the key and the nonce's first 16 bytes (@noble/ciphers, 64 bytes of work), then ChaCha20 (RFC
 * 8439) with that subkey, block counter 0 and the 12-byte nonce 0000 ‖ nonce[16..24] in node:crypto,
 * whose 16-byte IV is the counter (little-endian) then that nonce. Several times noble's speed.
 */
const nodeXchacha: XChachaEngine = (key, nonce, data) => {
  const sub = new Uint32Array(8);
  hchacha(SIGMA, words(key, 8), words(nonce.subarray(0, 16), 4), sub);
  const subkey = new Uint8Array(32);
  const v = new DataView(subkey.buffer);
  for (let i = 0; i < 8; i++) v.setUint32(i * 4, sub[i]!, true);
  sub.fill(0);
  const iv = new Uint8Array(16);
  iv.set(nonce.subarray(16, 24), 8);
  try {
    const d = createDecipheriv('chacha20', subkey, iv);
    // A view of OpenSSL's output, not a copy of it (a Buffer is a Uint8Array, but callers get plain ones).
    const out = d.update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } finally {
    subkey.fill(0);
  }
};

/** `xchacha20` on node:crypto (OpenSSL's ChaCha20 after an HChaCha20 subkey); `xchacha20-poly1305` stays portable (metadata only). */
export const chachaNode: readonly PluginDescriptor<'stream-cipher'>[] = [
  { kind: 'stream-cipher', name: 'xchacha20', backend: 'node', create: () => makeChacha('xchacha20', 'node', nodeXchacha) },
];
