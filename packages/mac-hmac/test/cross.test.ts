import { describe, expect, test } from '@jest/globals';
import { Registry, once } from '@qubes-backup/core';
import { HMAC_ALGORITHMS, hmacMacsPortable, parseHmacTag } from '../src/index.js';
import { createHmacMac, hmacMacsNode } from '../src/node.js';
import { nodeHmac } from '../src/node.js';
import { portableHmac } from '../src/portable.js';
import { enc, prng, randomBytes } from '@qubes-backup/testkit';

describe('node and portable agree', () => {
  test.each(HMAC_ALGORITHMS.map((a) => [a]))('%s on random keys and data', async (alg) => {
    const rnd = prng(alg.length * 7 + 1);
    for (let t = 0; t < 15; t++) {
      const key = randomBytes(Math.floor(rnd() * 200), t);
      const data = randomBytes(Math.floor(rnd() * 50000), t + 1000);
      const a = nodeHmac(alg, key);
      const b = portableHmac(alg, key);
      for (let o = 0; o < data.length;) {
        const n = 1 + Math.floor(rnd() * 5000);
        a.update(data.subarray(o, o + n));
        b.update(data.subarray(o, o + n));
        o += n;
      }
      const hex = a.hexDigest();
      expect(b.hexDigest()).toBe(hex);
      await createHmacMac({ name: alg, backend: 'portable' }).verify(once(data), enc(`X(stdin)= ${hex}`), key);
    }
  });
});

test('parseHmacTag follows text.strip().split("=")[1].strip()', () => {
  expect(parseHmacTag(enc('(stdin)= ABCdef\n'))).toBe('abcdef');
  expect(parseHmacTag(enc('HMAC-SHA2-512(my=file)= 00\n'))).toBe('file)');
  expect(parseHmacTag(enc('=\n'))).toBe('');
  expect(() => parseHmacTag(enc('abc'))).toThrow('invalid .hmac file');
});

test('createHmacMac and the registry take openssl spellings, any case', () => {
  expect(createHmacMac({ name: 'SHA512' }).info).toEqual({ kind: 'mac', name: 'sha512', backend: 'node' });
  expect(createHmacMac({ name: 'RMD160', backend: 'portable' }).info.name).toBe('ripemd160');
  expect(() => createHmacMac({ name: 'sha3-256' })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  const r = new Registry().use(hmacMacsNode, hmacMacsPortable);
  expect(r.get('mac', 'SHA512').info.backend).toBe('node');
  expect(r.get('mac', 'SHA1', { backend: 'portable' }).info.name).toBe('sha1');
});
