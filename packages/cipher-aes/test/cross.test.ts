import { describe, expect, test } from '@jest/globals';
import type { PluginDescriptor } from '@qubes-backup/core';
import { hex, prng, randomBytes, testSeed } from '@qubes-backup/testkit';
import { AES_CTR_KEY_LENGTHS, AES_CTR_NAMES, aesCtrPortable } from '../src/index.js';
import { aesCtrNode } from '../src/node.js';
import { aesCtrNoble } from './noble-backend.js';
import { opensslCtr } from './reference.js';

// Seeded, so every run checks the same inputs: PRIMITIVES_SEED=<n> replays the seed a test name
// shows, PRIMITIVES_SEED=random explores a fresh one.
const SEED = testSeed(20241205);

const backends: [string, readonly PluginDescriptor<'stream-cipher'>[]][] = [
  ['node', aesCtrNode], ['WebCrypto', aesCtrPortable], ['noble', aesCtrNoble],
];

describe(`node, WebCrypto and noble agree on random inputs (seed ${SEED})`, () => {
  test.each(AES_CTR_NAMES.map((n, i) => [n, i] as const))('%s: random keys, lengths, and IVs near a wrap', async (name, i) => {
    const rnd = prng(SEED + i);
    for (let t = 0; t < 30; t++) {
      const key = randomBytes(AES_CTR_KEY_LENGTHS[name], SEED + 100 * i + t);
      const iv = randomBytes(16, SEED + 100 * i + t + 50);
      // One IV in three has its low 64 (or all 128) bits a few blocks below wrapping.
      const r = rnd();
      if (r < 0.33) iv.fill(0xff, r < 0.1 ? 0 : 8).set([Math.floor(rnd() * 256)], 15);
      const data = randomBytes(rnd() < 0.2 ? Math.floor(rnd() * 40) : Math.floor(rnd() * 100_000), SEED + t + 7);
      const want = hex(opensslCtr(key, iv, data));
      for (const [label, list] of backends) {
        const c = list.find((d) => d.name === name)!.create();
        expect([label, hex(await c.decrypt(key, iv, data))]).toEqual([label, want]);
      }
    }
  });
});
