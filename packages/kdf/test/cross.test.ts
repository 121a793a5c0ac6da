import { describe, expect, test } from '@jest/globals';
import { hkdfSync, pbkdf2Sync, scryptSync } from 'node:crypto';
import { hex, prng, randomBytes, testSeed } from '@qubes-backup/testkit';
import { KDF_NAMES, KDF_SPECS, kdfPortable, maxHkdfLength } from '../src/index.js';
import { kdfNode } from '../src/node.js';

// Seeded, so every run checks the same inputs: PRIMITIVES_SEED=<n> replays the seed a test name
// shows, PRIMITIVES_SEED=random explores a fresh one.
const SEED = testSeed(20241205);

describe(`node and portable agree on random inputs (seed ${SEED})`, () => {
  test.each(KDF_NAMES.map((n, i) => [n, i] as const))('%s, and both equal node:crypto called directly', async (name, i) => {
    const spec = KDF_SPECS[name];
    const node = kdfNode.find((d) => d.name === name)!.create();
    const portable = kdfPortable.find((d) => d.name === name)!.create();
    const rnd = prng(SEED + i);
    const n = (max: number, min = 0): number => min + Math.floor(rnd() * (max - min + 1));
    for (let t = 0; t < 12; t++) {
      const secret = randomBytes(n(200), SEED + 100 * i + t);
      const salt = randomBytes(n(200), SEED + 100 * i + t + 50);
      let want: string;
      let params;
      if (spec.family === 'pbkdf2') {
        params = { salt, iterations: n(300, 1), length: n(200, 1) };
        want = pbkdf2Sync(secret, salt, params.iterations, params.length, spec.digest).toString('hex');
      } else if (spec.family === 'scrypt') {
        params = { salt, cost: 2 ** n(6, 1), blockSize: n(4, 1), parallelism: n(3, 1), length: n(200, 1) };
        want = scryptSync(secret, salt, params.length, { N: params.cost, r: params.blockSize, p: params.parallelism }).toString('hex');
      } else {
        params = { salt, info: randomBytes(n(300), SEED + t + 7), length: n(maxHkdfLength(spec), 1) };
        want = hex(new Uint8Array(hkdfSync(spec.digest, secret, salt, params.info, params.length)));
      }
      expect(hex(await node.derive(secret, params))).toBe(want);
      expect(hex(await portable.derive(secret, params))).toBe(want);
    }
  });
});
