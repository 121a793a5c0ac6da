#!/usr/bin/env node
// The KDF floor of a format-4 restore: COUNT scrypt derivations at (N, r, p), one after the other, with the
// scrypt ours uses on Node (`ours`: cipher-scrypt's node primitives, WebAssembly ROMix in a worker thread that
// keeps its memory) or with node:crypto's (`node-crypto`, for reference). Run under GNU time by the bench, so
// that its wall time, CPU and peak RSS are whole-process figures like ours. Prints each derivation's seconds.
import { scrypt } from 'node:crypto';

const [engine, ...nums] = process.argv.slice(2);
const [N, r, p, count] = nums.map(Number);
if (!['ours', 'node-crypto'].includes(engine) || !N || !r || !p || !count) {
  process.stderr.write('usage: kdf-floor.mjs ours|node-crypto N r p COUNT\n');
  process.exit(1);
}
const derive = engine === 'ours'
  ? (await import(new URL('../../../packages/cipher-scrypt/dist/node.js', import.meta.url).href)).scryptPrimitivesNode.scrypt
  : (pass, salt) => new Promise((resolve, reject) => scrypt(pass, salt, 64,
    { N, r, p, maxmem: 128 * N * r * p + 64 * 2 ** 20 }, (e, k) => (e ? reject(e) : resolve(k))));
const enc = (s) => new TextEncoder().encode(s);
const each = [];
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  await derive(enc(`passphrase ${i}`), enc(`salt ${i}`), N, r, p);
  each.push(Number(((performance.now() - t0) / 1000).toFixed(3)));
}
process.stdout.write(`${JSON.stringify(each)}\n`);
