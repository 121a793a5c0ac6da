import { describe, expect, test } from '@jest/globals';
import type { PluginDescriptor, StreamCipher } from '@qubes-backup/core';
import { fromHex, hex, randomBytes, sha256hex } from '@qubes-backup/testkit';
import { AES_CTR_KEY_LENGTHS, AES_CTR_NAMES, type AesCtrName } from '../src/index.js';
import { opensslCtr, referenceCtr } from './reference.js';

// NIST SP 800-38A appendix F.5: the four-block CTR examples. F.5.1/F.5.2 are AES-128 encrypt and
// decrypt, F.5.5/F.5.6 AES-256; the initial counter block f0f1…feff carries within its low bytes.
const SP800_38A = {
  iv: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  plain: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  cases: [
    ['aes-128-ctr', 'F.5.1/F.5.2', '2b7e151628aed2a6abf7158809cf4f3c',
      '874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee'],
    ['aes-256-ctr', 'F.5.5/F.5.6', '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
      '601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6'],
  ] as const,
};

/** Counter blocks whose increments carry far: across the low 64 bits, and around all 128. */
export const WRAPPING_IVS = [
  ['low 64 bits all ones', '0123456789abcdefffffffffffffffff'],
  ['low 64 bits 3 below wrapping', '0000000000000000fffffffffffffffc'],
  ['high 64 bits all ones too (wraps to zero)', 'fffffffffffffffffffffffffffffffe'],
  ['every byte ff', 'ffffffffffffffffffffffffffffffff'],
] as const;

/** The StreamCipher conformance suite, run once per backend's descriptor list. */
export function describeBackend(descriptors: readonly PluginDescriptor<'stream-cipher'>[], label: string = descriptors[0]!.backend): void {
  const backend = descriptors[0]!.backend;
  const get = (name: AesCtrName): StreamCipher => descriptors.find((d) => d.name === name)!.create();
  const names = AES_CTR_NAMES.map((n) => [n] as const);

  describe(`cipher-aes (${label})`, () => {
    test('one descriptor per name, honest lengths', () => {
      expect(descriptors.map((d) => d.name)).toEqual([...AES_CTR_NAMES]);
      for (const d of descriptors) {
        expect(d).toMatchObject({ kind: 'stream-cipher', backend });
        const c = d.create();
        expect(c.info).toEqual({ kind: 'stream-cipher', name: d.name, backend });
        expect(c.keyLength).toBe(AES_CTR_KEY_LENGTHS[d.name as AesCtrName]);
        expect(c.ivLength).toBe(16);
      }
    });

    test('the caller\'s key and iv are left as they were, also when they are Buffers (whose slice() is a view, not a copy)', async () => {
      const key = Buffer.alloc(32, 7);
      const iv = Buffer.alloc(16, 9);
      await get('aes-256-ctr').decrypt(key, iv, new Uint8Array(20));
      expect([...new Set(key)]).toEqual([7]);
      expect([...new Set(iv)]).toEqual([9]);
    });

    test.each(SP800_38A.cases)('%s: NIST SP 800-38A %s, both directions', async (name, _f, key, cipher) => {
      const c = get(name);
      const [k, iv, p, x] = [fromHex(key), fromHex(SP800_38A.iv), fromHex(SP800_38A.plain), fromHex(cipher)];
      expect(hex(await c.decrypt(k, iv, x))).toBe(SP800_38A.plain);
      expect(hex(await c.decrypt(k, iv, p))).toBe(cipher);
      // Every prefix, including ones that end inside a block.
      for (const n of [0, 1, 15, 16, 17, 33, 63]) expect(hex(await c.decrypt(k, iv, x.subarray(0, n)))).toBe(SP800_38A.plain.slice(0, 2 * n));
    });

    describe.each(names)('%s: the counter carries through all 128 bits', (name) => {
      test.each(WRAPPING_IVS)('IV with %s (%s): equals the definition and node:crypto', async (_what, ivHex) => {
        const key = randomBytes(AES_CTR_KEY_LENGTHS[name], 42);
        const iv = fromHex(ivHex);
        const data = randomBytes(16 * 9 + 5, 43);
        const got = hex(await get(name).decrypt(key, iv, data));
        expect(got).toBe(hex(referenceCtr(key, iv, data)));
        expect(got).toBe(hex(opensslCtr(key, iv, data)));
      });
    });

    test.each(names)('%s: empty input gives an empty plain Uint8Array', async (name) => {
      const out = await get(name).decrypt(new Uint8Array(AES_CTR_KEY_LENGTHS[name]), new Uint8Array(16), new Uint8Array(0));
      expect(out).toEqual(new Uint8Array(0));
      expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    });

    test.each(names)('%s: round trip; input at an odd byteOffset; nothing the caller gave is changed', async (name) => {
      const key = randomBytes(AES_CTR_KEY_LENGTHS[name], 1);
      const iv = randomBytes(16, 2);
      const backing = randomBytes(5001, 3);
      const data = backing.subarray(1);
      const [k0, iv0, d0] = [key.slice(), iv.slice(), data.slice()];
      const x = await get(name).decrypt(key, iv, data);
      expect(Object.getPrototypeOf(x)).toBe(Uint8Array.prototype);
      expect(x).toHaveLength(5000);
      expect(hex(x)).toBe(hex(opensslCtr(key, iv, data)));
      expect(hex(await get(name).decrypt(key, iv, x))).toBe(hex(data));
      expect([key, iv, data]).toEqual([k0, iv0, d0]);
    });

    test.each(names)('%s: the output owns its whole buffer (no pooled memory reachable through .buffer)', async (name) => {
      for (const n of [1, 15, 100, 4000, 70_000]) {
        const out = await get(name).decrypt(randomBytes(AES_CTR_KEY_LENGTHS[name], n), new Uint8Array(16), randomBytes(n, n + 1));
        expect([out.byteOffset, out.buffer.byteLength]).toEqual([0, n]);
      }
    });

    test.each(names)('%s: key and IV are copied at the call', async (name) => {
      const key = randomBytes(AES_CTR_KEY_LENGTHS[name], 4);
      const iv = randomBytes(16, 5);
      const data = randomBytes(100, 6);
      const want = hex(opensslCtr(key, iv, data));
      const p = get(name).decrypt(key, iv, data);
      key.fill(0);
      iv.fill(0);
      expect(hex(await p)).toBe(want);
    });

    test('aes-256-ctr: a 20 MiB + 5 byte message (the largest Borg object a reader expects)', async () => {
      const key = randomBytes(32, 7);
      const iv = fromHex('00000000000000000000000000000000');
      const data = new Uint8Array(20 * 1024 * 1024 + 5);
      for (let i = 0; i < data.length; i += 4093) data[i] = i & 0xff;
      expect(sha256hex(await get('aes-256-ctr').decrypt(key, iv, data))).toBe(sha256hex(opensslCtr(key, iv, data)));
    });

    describe.each(names)('%s: wrong arguments reject before any work', (name) => {
      const kl = AES_CTR_KEY_LENGTHS[name];
      const good = [new Uint8Array(kl), new Uint8Array(16), new Uint8Array(4)] as const;
      const cases: [string, unknown[], ErrorConstructor, string][] = [
        [`key of ${kl - 1} bytes`, [new Uint8Array(kl - 1), good[1], good[2]], RangeError, `key must be ${kl} bytes, got ${kl - 1}`],
        [`key of ${kl + 1} bytes`, [new Uint8Array(kl + 1), good[1], good[2]], RangeError, `key must be ${kl} bytes, got ${kl + 1}`],
        ['key of the other AES size', [new Uint8Array(48 - kl), good[1], good[2]], RangeError, `key must be ${kl} bytes, got ${48 - kl}`],
        ['empty key', [new Uint8Array(0), good[1], good[2]], RangeError, `key must be ${kl} bytes, got 0`],
        ['iv of 15 bytes', [good[0], new Uint8Array(15), good[2]], RangeError, 'iv must be 16 bytes, got 15'],
        ['iv of 12 bytes (a GCM nonce)', [good[0], new Uint8Array(12), good[2]], RangeError, 'iv must be 16 bytes, got 12'],
        ['iv of 17 bytes', [good[0], new Uint8Array(17), good[2]], RangeError, 'iv must be 16 bytes, got 17'],
        ['key a string', ['k'.repeat(kl), good[1], good[2]], TypeError, 'key must be a Uint8Array'],
        ['key an ArrayBuffer', [new ArrayBuffer(kl), good[1], good[2]], TypeError, 'key must be a Uint8Array'],
        ['iv missing', [good[0], undefined, good[2]], TypeError, 'iv must be a Uint8Array'],
        ['data a string', [good[0], good[1], 'data'], TypeError, 'data must be a Uint8Array'],
        ['data an ArrayBuffer', [good[0], good[1], new ArrayBuffer(4)], TypeError, 'data must be a Uint8Array'],
      ];
      test.each(cases)('%s', async (_what, args, type, message) => {
        const p = get(name).decrypt(...(args as [Uint8Array, Uint8Array, Uint8Array]));
        await expect(p).rejects.toThrow(type);
        await expect(p).rejects.toThrow(message);
      });
    });
  });
}
