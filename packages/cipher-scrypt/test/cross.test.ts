import { describe, expect, test } from '@jest/globals';
import { once, type ByteStream } from '@qubes-backup/core';
import { scryptPrimitivesNode } from '../src/node.js';
import { scryptPrimitivesPortable } from '../src/portable.js';
import { makeScryptCipher } from '../src/cipher.js';
import type { ScryptPrimitives } from '../src/_primitives.js';
import { createScryptCipher } from '../src/node.js';
import { consume, enc, hex, prng, randomBytes } from '@qubes-backup/testkit';
import { PASS, encryptUnit, fixture, randomSplits } from './helpers.js';

const both: [string, ScryptPrimitives][] = [['node', scryptPrimitivesNode], ['portable', scryptPrimitivesPortable]];

describe.each(both)('RFC 7914 §12 scrypt vectors (%s)', (_name, prims) => {
  test.each([
    ['', '', 16, 1, 1,
      '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906'],
    ['password', 'NaCl', 1024, 8, 16,
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640'],
    ['pleaseletmein', 'SodiumChloride', 16384, 8, 1,
      '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887'],
  ])('P=%j S=%j N=%d r=%d p=%d', async (p, s, N, r, pp, want) => {
    expect(hex(await prims.scrypt(enc(p), enc(s), N, r, pp))).toBe(want);
  });
});

describe('node and portable agree', () => {
  test('KDF on random passphrases, salts and parameters (r = 1 with logN ≥ 16 included)', async () => {
    const rnd = prng(11);
    const cases: [number, number, number][] = [[1, 1, 1], [4, 2, 3], [10, 8, 1], [16, 1, 1], [8, 3, 2]];
    for (const [logN, r, p] of cases) {
      const pass = randomBytes(Math.floor(rnd() * 40), Math.floor(rnd() * 1e9));
      const salt = randomBytes(32, Math.floor(rnd() * 1e9));
      const a = await scryptPrimitivesNode.scrypt(pass, salt, 2 ** logN, r, p);
      const b = await scryptPrimitivesPortable.scrypt(pass, salt, 2 ** logN, r, p);
      expect(hex(a)).toBe(hex(b));
    }
  });

  test('AES-CTR and HMAC on random data split at random 16-aligned pieces', () => {
    const rnd = prng(3);
    for (let t = 0; t < 20; t++) {
      const key = randomBytes(32, t + 100);
      const data = randomBytes(Math.floor(rnd() * 70000), t + 200);
      const outs = both.map(([, prims]) => {
        const c = prims.aes256Ctr(key);
        const m = prims.hmacSha256(key);
        const parts: Uint8Array[] = [];
        for (let o = 0; o < data.length;) {
          const n = Math.min(data.length - o, 16 * (1 + Math.floor(rnd() * 300)));
          parts.push(new Uint8Array(c.update(data.subarray(o, o + n))));
          m.update(data.subarray(o, o + n));
          o += n;
        }
        return hex(new Uint8Array(Buffer.concat(parts))) + '/' + hex(m.digest());
      });
      expect(outs[0]).toBe(outs[1]);
    }
  });

  test('whole units of random sizes decrypt identically', async () => {
    const rnd = prng(17);
    for (let t = 0; t < 8; t++) {
      const plain = randomBytes(Math.floor(rnd() * 200000), t);
      const unit = encryptUnit(plain, PASS, 10, 1 + Math.floor(rnd() * 8), 1, randomBytes(32, t + 50));
      const a = await consume(createScryptCipher({ backend: 'node' }).decrypt(randomSplits(unit, t, 5000), PASS));
      const b = await consume(createScryptCipher({ backend: 'portable' }).decrypt(randomSplits(unit, t + 1, 5000), PASS));
      expect(hex(a.bytes)).toBe(hex(b.bytes));
      expect(hex(a.bytes)).toBe(hex(plain));
    }
  });
});

test('the KDF starts as soon as the header is in, before the body is read', async () => {
  let kdfCalls = 0;
  const spy: ScryptPrimitives = { ...scryptPrimitivesNode, scrypt: (...a) => { kdfCalls++; return scryptPrimitivesNode.scrypt(...a); } };
  const unit = fixture('random150k.scrypt');
  const seen: number[] = [];
  async function* source(): ByteStream {
    yield unit.subarray(0, 96);
    await new Promise((r) => setTimeout(r, 5));
    seen.push(kdfCalls);
    yield unit.subarray(96);
  }
  await consume(makeScryptCipher(spy).decrypt(source(), PASS));
  expect(seen).toEqual([1]);
});

test('the KDF does not block the event loop (async crypto.scrypt)', async () => {
  const unit = encryptUnit(new Uint8Array(10), PASS, 15, 8, 1);
  // Event-loop turns while it derives, counted with setImmediate: a derivation that blocked the
  // loop would finish before the first of them ran. No clock is read (durations: tools/bench).
  let turns = 0;
  let running = true;
  const spin = (): void => { if (running) { turns++; setImmediate(spin); } };
  setImmediate(spin);
  await consume(createScryptCipher({ backend: 'node' }).decrypt(once(unit), PASS));
  running = false;
  expect(turns).toBeGreaterThanOrEqual(2);
});
