#!/usr/bin/env node
// The KDF floor of a format-4 restore: `count` scrypt derivations at (N, r, p), one after the other, with the
// scrypt ours uses on Node (crypto.scrypt, libuv's thread pool). Run under GNU time by the bench, so that its
// wall time, CPU and peak RSS are whole-process figures like ours. Prints each derivation's seconds as JSON.
import { scrypt } from 'node:crypto';

const [N, r, p, count] = process.argv.slice(2).map(Number);
if (!N || !r || !p || !count) {
  process.stderr.write('usage: kdf-floor.mjs N r p COUNT\n');
  process.exit(1);
}
const each = [];
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  await new Promise((resolve, reject) => scrypt(`passphrase ${i}`, `salt ${i}`, 64,
    { N, r, p, maxmem: 128 * N * r * p + 64 * 2 ** 20 }, (e, k) => (e ? reject(e) : resolve(k))));
  each.push((performance.now() - t0) / 1000);
}
process.stdout.write(`${JSON.stringify(each)}\n`);
