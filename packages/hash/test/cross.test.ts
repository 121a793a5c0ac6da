import { describe, expect, test } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { hex, prng, randomBytes, testSeed } from '@qubes-backup/testkit';
import { hashPortable } from '../src/index.js';
import { hashNode } from '../src/node.js';
import { feedSplit } from './backend-suite.js';

// Seeded, so every run checks the same inputs: PRIMITIVES_SEED=<n> replays the seed a test name
// shows, PRIMITIVES_SEED=random explores a fresh one.
const SEED = testSeed(20241205);

describe(`node and portable agree on random inputs (seed ${SEED})`, () => {
  test.each([['sha256'], ['sha512']] as const)('%s plain and HMAC, keys of 0..300 bytes, random splits', (name) => {
    const node = hashNode.find((d) => d.name === name)!.create();
    const portable = hashPortable.find((d) => d.name === name)!.create();
    const rnd = prng(SEED ^ name.length);
    for (let t = 0; t < 25; t++) {
      const data = randomBytes(Math.floor(rnd() * 40_000), SEED + t);
      const key = randomBytes(Math.floor(rnd() * 300), SEED + 1000 + t);
      const want = createHash(name).update(data).digest('hex');
      const wantMac = createHmac(name, key).update(data).digest('hex');
      for (const h of [node, portable]) {
        const s = h.create();
        feedSplit(s, data, SEED + t);
        expect(hex(s.digest())).toBe(want);
        const m = h.hmac(key);
        feedSplit(m, data, SEED + 2000 + t);
        expect(hex(m.digest())).toBe(wantMac);
      }
    }
  });
});
