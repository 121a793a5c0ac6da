import { createCipheriv } from 'node:crypto';

/**
 * AES-CTR written out from its definition, as the oracle: keystream block i is
 * AES-ECB(key, (iv + i) mod 2^128), the counter kept as a BigInt so its carry cannot be wrong the
 * way byte loops can. Slow; for messages of a few hundred blocks.
 */
export function referenceCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  let counter = BigInt(`0x${Buffer.from(iv).toString('hex')}`);
  const out = new Uint8Array(data.length);
  for (let o = 0; o < data.length; o += 16) {
    const block = Buffer.from(counter.toString(16).padStart(32, '0'), 'hex');
    const ks = ecb.update(block);
    for (let j = 0; j < 16 && o + j < data.length; j++) out[o + j] = data[o + j]! ^ ks[j]!;
    counter = (counter + 1n) % (1n << 128n);
  }
  return out;
}

/** node:crypto's own AES-CTR, called directly (not through the plugin). */
export function opensslCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}
