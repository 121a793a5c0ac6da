import { describe, expect, test } from '@jest/globals';
import type { Hash, PluginDescriptor } from '@qubes-backup/core';
import { hex, prng, randomBytes } from '@qubes-backup/testkit';
import { HASH_SPECS, type HashName } from '../src/index.js';
import { DIGESTS, HMACS, MILLION_A } from './vectors.js';

/** Feeds `data` to a state in pieces cut at seeded random points (some empty), as views into it. */
export function feedSplit(state: { update(d: Uint8Array): void }, data: Uint8Array, seed: number): void {
  const rnd = prng(seed);
  for (let o = 0; o < data.length;) {
    const n = rnd() < 0.1 ? 0 : 1 + Math.floor(rnd() * (rnd() < 0.3 ? 200 : 20_000));
    state.update(data.subarray(o, o + n));
    o += n;
  }
}

const oneShot = (s: { update(d: Uint8Array): void; digest(): Uint8Array }, d: Uint8Array): string => {
  s.update(d);
  return hex(s.digest());
};

/** The Hash conformance suite, run once per backend's descriptor list (names it lacks are skipped). */
export function describeBackend(descriptors: readonly PluginDescriptor<'hash'>[], label = descriptors[0]!.backend): void {
  const backend = descriptors[0]!.backend;
  const names = descriptors.map((d) => d.name as HashName);
  const get = (name: HashName): Hash => descriptors.find((d) => d.name === name)!.create();
  const mine = <T extends readonly [HashName, ...unknown[]]>(rows: readonly T[]): T[] => rows.filter((r) => names.includes(r[0]));

  describe(`hash (${label})`, () => {
    test('descriptors and instances describe themselves honestly', () => {
      for (const d of descriptors) {
        expect(d).toMatchObject({ kind: 'hash', backend });
        const h = d.create();
        expect(h.info).toEqual({ kind: 'hash', name: d.name, backend });
        expect(h.outputLength).toBe(HASH_SPECS[d.name as HashName].outputLength);
        expect(h.create().digest()).toHaveLength(h.outputLength);
        expect(h.hmac(new Uint8Array(0)).digest()).toHaveLength(h.outputLength);
      }
    });

    test.each(mine(DIGESTS).map((v) => [v[0], v[1].length, v[1], v[2]] as const))(
      '%s of %i bytes (FIPS 180 example / recorded vector)', (name, _n, msg, want) => {
        expect(oneShot(get(name).create(), msg)).toBe(want);
      });

    test.each(mine(HMACS))('HMAC-%s, RFC 4231 case %s inputs', (name, _case, key, msg, want) => {
      expect(oneShot(get(name).hmac(key), msg)).toBe(want);
    });

    test.each(names.map((n) => [n]))('%s: updates at random splits equal one update, plain and HMAC', (name) => {
      const h = get(name);
      const data = randomBytes(70_000, 11);
      const key = randomBytes(77, 12);
      const whole = oneShot(h.create(), data);
      const mac = oneShot(h.hmac(key), data);
      for (const seed of [1, 2, 3]) {
        const s = h.create();
        feedSplit(s, data, seed);
        expect(hex(s.digest())).toBe(whole);
        const m = h.hmac(key);
        feedSplit(m, data, seed + 100);
        expect(hex(m.digest())).toBe(mac);
      }
      // Byte at a time through a block boundary, and a million "a" in 1000-byte updates.
      const s = h.create();
      for (let i = 0; i < 300; i++) s.update(data.subarray(i, i + 1));
      s.update(data.subarray(300));
      expect(hex(s.digest())).toBe(whole);
      const a = h.create();
      for (let i = 0; i < 1000; i++) a.update(MILLION_A.subarray(i * 1000, (i + 1) * 1000));
      expect(hex(a.digest())).toBe(oneShot(h.create(), MILLION_A));
    });

    test.each(names.map((n) => [n]))('%s: states are independent, and inputs are not changed', (name) => {
      const h = get(name);
      const data = randomBytes(1000, 5);
      const copy = data.slice();
      const a = h.create();
      const b = h.create();
      a.update(data);
      b.update(data.subarray(0, 10));
      expect(hex(a.digest())).toBe(oneShot(h.create(), data));
      b.update(data.subarray(10));
      expect(hex(b.digest())).toBe(oneShot(h.create(), data));
      expect(data).toEqual(copy);
      // The key is read when hmac() is called: changing it afterwards changes nothing.
      const key = randomBytes(40, 6);
      const m = h.hmac(key);
      const want = oneShot(h.hmac(key.slice()), data);
      key.fill(0);
      expect(oneShot(m, data)).toBe(want);
    });

    test.each(names.map((n) => [n]))('%s: empty input and empty updates', (name) => {
      const h = get(name);
      const none = hex(h.create().digest());
      const s = h.create();
      s.update(new Uint8Array(0));
      s.update(new Uint8Array(8).subarray(8));
      expect(hex(s.digest())).toBe(none);
      expect(oneShot(h.hmac(new Uint8Array(0)), new Uint8Array(0))).toHaveLength(2 * h.outputLength);
    });

    test.each(names.map((n) => [n]))('%s: digests are plain Uint8Arrays at offset 0', (name) => {
      for (const d of [get(name).create().digest(), get(name).hmac(new Uint8Array(3)).digest()]) {
        expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype);
        expect(d.byteOffset).toBe(0);
      }
    });

    test.each(mine(HMACS))('hmacOf: HMAC-%s, RFC 4231 case %s inputs', async (name, _case, key, msg, want) => {
      expect(hex(await get(name).hmacOf(key, msg))).toBe(want);
    });

    test.each(names.map((n) => [n]))('%s: hmacOf equals hmac below, at and above the off-thread size, for each key in turn', async (name) => {
      const h = get(name);
      const keys = [randomBytes(32, 1), randomBytes(32, 2), randomBytes(200, 3)];
      for (const n of [0, 1, 16 * 1024 - 1, 16 * 1024, 300_000]) {
        const data = randomBytes(n, n + 7);
        for (const key of [...keys, keys[0]!]) {
          const got = await h.hmacOf(key, data);
          expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
          expect(hex(got)).toBe(oneShot(h.hmac(key), data));
        }
      }
    });

    test.each(names.map((n) => [n]))('%s: hmacOf keeps no reference to a key the caller changes later', async (name) => {
      const h = get(name);
      const key = randomBytes(32, 9);
      const data = randomBytes(20_000, 10);
      const want = oneShot(h.hmac(key), data);
      expect(hex(await h.hmacOf(key, data))).toBe(want);
      const other = key.slice();
      key[0] ^= 1; // same array, new bytes: not the key imported before
      expect(hex(await h.hmacOf(key, data))).toBe(oneShot(h.hmac(key), data));
      expect(hex(await h.hmacOf(other, data))).toBe(want);
      await expect(h.hmacOf('k' as unknown as Uint8Array, data)).rejects.toThrow('key must be a Uint8Array');
      await expect(h.hmacOf(key, 'd' as unknown as Uint8Array)).rejects.toThrow('data must be a Uint8Array');
    });

    test.each(names.map((n) => [n]))('%s: wrong arguments and reuse throw', (name) => {
      const h = get(name);
      const bad: unknown[] = ['abc', [1, 2], new Uint16Array(2), new ArrayBuffer(2), null, undefined];
      for (const b of bad) {
        expect(() => h.create().update(b as Uint8Array)).toThrow(TypeError);
        expect(() => h.hmac(b as Uint8Array)).toThrow(new TypeError('key must be a Uint8Array'));
      }
      expect(() => h.create().update('abc' as unknown as Uint8Array)).toThrow('data must be a Uint8Array');
      for (const s of [h.create(), h.hmac(new Uint8Array(1))]) {
        s.digest();
        expect(() => s.digest()).toThrow(/digest\(\) was already called/);
        expect(() => s.update(new Uint8Array(1))).toThrow(/digest\(\) was already called/);
      }
    });
  });
}
