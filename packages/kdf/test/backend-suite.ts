import { describe, expect, test } from '@jest/globals';
import type { Kdf, PluginDescriptor } from '@qubes-backup/core';
import { enc, hex, randomBytes } from '@qubes-backup/testkit';
import { KDF_NAMES, KDF_SPECS, MAX_PBKDF2_ITERATIONS, maxHkdfLength, type KdfName } from '../src/index.js';
import { HKDF, PBKDF2 } from './vectors.js';

type Params = Parameters<Kdf['derive']>[1];

const pbkdf2Params = (length = 32): Params => ({ salt: enc('salt'), iterations: 2, length });
const hkdfParams = (length = 32): Params => ({ salt: enc('salt'), info: enc('info'), length });
const scryptParams = (length = 32): Params => ({ salt: enc('salt'), cost: 16, blockSize: 1, parallelism: 1, length });
const paramsFor = (name: KdfName, length?: number): Params => {
  const family = KDF_SPECS[name].family;
  return family === 'pbkdf2' ? pbkdf2Params(length) : family === 'scrypt' ? scryptParams(length) : hkdfParams(length);
};

/** The Kdf conformance suite, run once per backend's descriptor list. */
export function describeBackend(descriptors: readonly PluginDescriptor<'kdf'>[]): void {
  const backend = descriptors[0]!.backend;
  const get = (name: KdfName): Kdf => descriptors.find((d) => d.name === name)!.create();

  describe(`kdf (${backend})`, () => {
    test('one descriptor per name, honest info', () => {
      expect(descriptors.map((d) => d.name)).toEqual([...KDF_NAMES]);
      for (const d of descriptors) {
        expect(d).toMatchObject({ kind: 'kdf', backend });
        expect(d.create().info).toEqual({ kind: 'kdf', name: d.name, backend });
      }
    });

    test.each([...PBKDF2, ...HKDF].map((v) => [v.name, v.source, v] as const))('%s: %s', async (name, _source, v) => {
      const { secret, salt, length } = v;
      const params = v.iterations !== undefined ? { salt, iterations: v.iterations, length } : { salt, info: v.info!, length };
      const key = await get(name).derive(secret, params);
      expect(hex(key)).toBe(v.hex);
      expect(Object.getPrototypeOf(key)).toBe(Uint8Array.prototype);
    });

    test.each(KDF_NAMES.map((n) => [n]))('%s: the caller\'s secret and salt are left as they were, also as Buffers (whose slice() is a view)', async (name) => {
      const secret = Buffer.from('passphrase');
      const params = paramsFor(name, 16);
      const salt = Buffer.from(params.salt);
      await get(name).derive(secret, { ...params, salt });
      expect(secret.toString()).toBe('passphrase');
      expect(Buffer.compare(salt, Buffer.from(params.salt))).toBe(0);
    });

    test.each(KDF_NAMES.map((n) => [n]))('%s: a shorter output is a prefix of a longer one', async (name) => {
      const long = await get(name).derive(enc('pw'), paramsFor(name, 100));
      for (const n of [1, 31, 32, 33, 64, 65]) {
        expect(hex(await get(name).derive(enc('pw'), paramsFor(name, n)))).toBe(hex(long.subarray(0, n)));
      }
    });

    test.each(KDF_NAMES.map((n) => [n]))('%s: empty secret and empty salt are allowed', async (name) => {
      const params = { ...paramsFor(name), salt: new Uint8Array(0) };
      const a = await get(name).derive(new Uint8Array(0), params);
      expect(a).toHaveLength(32);
      // (Not [0]: HMAC pads keys with zeros, so an empty and a one-zero-byte secret are the same key.)
      expect(hex(a)).not.toBe(hex(await get(name).derive(Uint8Array.of(1), params)));
    });

    test.each(['hkdf-sha256', 'hkdf-sha512'] as const)('%s: info is optional (absent = empty), up to 1024 bytes', async (name) => {
      const kdf = get(name);
      const none = await kdf.derive(enc('k'), { salt: enc('s'), length: 16 });
      expect(hex(await kdf.derive(enc('k'), { salt: enc('s'), info: new Uint8Array(0), length: 16 }))).toBe(hex(none));
      await expect(kdf.derive(enc('k'), { salt: enc('s'), info: new Uint8Array(1024), length: 16 })).resolves.toHaveLength(16);
      await expect(kdf.derive(enc('k'), { salt: enc('s'), info: new Uint8Array(1025), length: 16 }))
        .rejects.toThrow(new RangeError('params.info must be at most 1024 bytes, got 1025'));
    });

    test.each(['hkdf-sha256', 'hkdf-sha512'] as const)('%s: length up to the RFC 5869 limit 255 × HashLen', async (name) => {
      const max = maxHkdfLength(KDF_SPECS[name]);
      expect(max).toBe(255 * KDF_SPECS[name].hashLength);
      await expect(get(name).derive(enc('k'), hkdfParams(max))).resolves.toHaveLength(max);
      await expect(get(name).derive(enc('k'), hkdfParams(max + 1))).rejects.toThrow(RangeError);
    });

    test.each(['pbkdf2-sha256', 'pbkdf2-sha512'] as const)('%s: length up to 1024, iterations 1 to 10 000 000', async (name) => {
      await expect(get(name).derive(enc('k'), pbkdf2Params(1024))).resolves.toHaveLength(1024);
      await expect(get(name).derive(enc('k'), pbkdf2Params(1025)))
        .rejects.toThrow(new RangeError('params.length must be in [1, 1024], got 1025'));
      await expect(get(name).derive(enc('k'), { salt: enc('s'), iterations: MAX_PBKDF2_ITERATIONS + 1, length: 32 }))
        .rejects.toThrow(new RangeError('params.iterations must be in [1, 10000000], got 10000001'));
      await expect(get(name).derive(enc('k'), { salt: enc('s'), iterations: 0, length: 32 }))
        .rejects.toThrow(new RangeError('params.iterations must be in [1, 10000000], got 0'));
    });

    describe.each(KDF_NAMES.map((n) => [n]))('%s: bad arguments are refused before any work', (name) => {
      const base: Record<string, unknown> = { ...paramsFor(name) };
      const cases: [string, unknown, unknown, ErrorConstructor, RegExp][] = [
        ['secret a string', 'password', base, TypeError, /^secret must be a Uint8Array$/],
        ['secret an ArrayBuffer', new ArrayBuffer(4), base, TypeError, /^secret must be a Uint8Array$/],
        ['params missing', enc('k'), undefined, TypeError, /^params must be an object$/],
        ['params null', enc('k'), null, TypeError, /^params must be an object$/],
        ['salt missing', enc('k'), { ...base, salt: undefined }, TypeError, /^params\.salt must be a Uint8Array$/],
        ['salt a string', enc('k'), { ...base, salt: 'salt' }, TypeError, /^params\.salt must be a Uint8Array$/],
        ['length missing', enc('k'), { ...base, length: undefined }, TypeError, /^params\.length must be an integer$/],
        ['length 1.5', enc('k'), { ...base, length: 1.5 }, TypeError, /^params\.length must be an integer$/],
        ['length "32"', enc('k'), { ...base, length: '32' }, TypeError, /^params\.length must be an integer$/],
        ['length 0', enc('k'), { ...base, length: 0 }, RangeError, /^params\.length must be in \[1, \d+\], got 0$/],
        ['length -1', enc('k'), { ...base, length: -1 }, RangeError, /^params\.length must be in/],
        ['length Infinity', enc('k'), { ...base, length: Infinity }, TypeError, /^params\.length must be an integer$/],
      ];
      if (KDF_SPECS[name].family === 'pbkdf2') {
        cases.push(
          ['iterations missing', enc('k'), { ...base, iterations: undefined }, TypeError, /^params\.iterations must be an integer$/],
          ['iterations NaN', enc('k'), { ...base, iterations: NaN }, TypeError, /^params\.iterations must be an integer$/],
          ['iterations 2**53', enc('k'), { ...base, iterations: 2 ** 53 }, TypeError, /^params\.iterations must be an integer$/],
        );
      } else if (KDF_SPECS[name].family === 'scrypt') {
        cases.push(
          ['cost missing', enc('k'), { ...base, cost: undefined }, TypeError, /^params\.cost must be an integer$/],
          ['cost 1', enc('k'), { ...base, cost: 1 }, RangeError, /^params\.cost must be in/],
          ['blockSize 0', enc('k'), { ...base, blockSize: 0 }, RangeError, /^params\.blockSize must be in/],
          ['parallelism 65', enc('k'), { ...base, parallelism: 65 }, RangeError, /^params\.parallelism must be in/],
        );
      } else {
        cases.push(['info a string', enc('k'), { ...base, info: 'info' }, TypeError, /^params\.info must be a Uint8Array$/]);
      }
      test.each(cases)('%s', async (_what, secret, params, type, message) => {
        const p = get(name).derive(secret as Uint8Array, params as Params);
        await expect(p).rejects.toThrow(type);
        await expect(p).rejects.toThrow(message);
      });
    });

    test.each(KDF_NAMES.map((n) => [n]))('%s: an aborted signal rejects before any work', async (name) => {
      const ac = new AbortController();
      ac.abort();
      // 10 million iterations would take many seconds: rejecting at once shows nothing ran.
      const params = KDF_SPECS[name].family === 'pbkdf2'
        ? { salt: enc('s'), iterations: MAX_PBKDF2_ITERATIONS, length: 32 } : paramsFor(name);
      // Rejected before the next event-loop turn: no derivation (thread pool or chunked loop) was
      // started, as one would settle no earlier than a later turn. (Durations: tools/bench/limits.mjs.)
      const p = get(name).derive(enc('k'), params, { signal: ac.signal });
      const first = await Promise.race([p.then(() => 'resolved', () => 'rejected'), new Promise((r) => setImmediate(() => r('still pending')))]);
      expect(first).toBe('rejected');
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      // Bad arguments still win over the signal: they are a bug to report, whatever the caller wants.
      await expect(get(name).derive('k' as unknown as Uint8Array, params, { signal: ac.signal })).rejects.toThrow(TypeError);
    });

    test('scrypt: RFC 7914 section 12 vectors 1 and 2', async () => {
      const kdf = get('scrypt');
      expect(hex(await kdf.derive(new Uint8Array(0), { salt: new Uint8Array(0), cost: 16, blockSize: 1, parallelism: 1, length: 64 })))
        .toBe('77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906');
      expect(hex(await kdf.derive(enc('password'), { salt: enc('NaCl'), cost: 1024, blockSize: 8, parallelism: 16, length: 64 })))
        .toBe('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640');
    });

    test('scrypt: N at 2^(16 r), which OpenSSL refuses, still derives (as noble computes it)', async () => {
      const params = { salt: enc('s'), cost: 2 ** 16, blockSize: 1, parallelism: 1, length: 32 };
      const portable = await import('../src/portable.js');
      const want = hex(await portable.kdfPortable.find((d) => d.name === 'scrypt')!.create().derive(enc('k'), params));
      expect(hex(await get('scrypt').derive(enc('k'), params))).toBe(want);
    });

    test('scrypt: cost must be a power of two, and the memory it needs at most 2 GiB', async () => {
      const kdf = get('scrypt');
      await expect(kdf.derive(enc('k'), { ...scryptParams(), cost: 24 })).rejects.toThrow(/power of two/);
      await expect(kdf.derive(enc('k'), { ...scryptParams(), cost: 2 ** 22, blockSize: 8 })).rejects.toThrow(/needs \d+ bytes, more than/);
    });

    test('a signal aborted during PBKDF2 rejects with its reason when it ends', async () => {
      const ac = new AbortController();
      // derive() checks the signal synchronously, then awaits the engine: aborting right after the
      // call lands during the derivation, every time.
      const p = get('pbkdf2-sha256').derive(enc('k'), { salt: enc('s'), iterations: 20_000, length: 32 }, { signal: ac.signal });
      ac.abort(new Error('gave up'));
      await expect(p).rejects.toThrow('gave up');
    });

    test('PBKDF2 leaves the event loop running (node: thread pool; portable: yields every 10 ms)', async () => {
      let turns = 0;
      let running = true;
      const spin = (): void => { if (running) { turns++; setTimeout(spin, 0); } };
      spin();
      await get('pbkdf2-sha512').derive(enc('k'), { salt: enc('s'), iterations: 60_000, length: 64 });
      running = false;
      // A derivation that blocked the loop would end before the first timer fired (1 turn in all);
      // counted in turns, not milliseconds (the rate per second is in tools/bench/limits.mjs).
      expect(turns).toBeGreaterThanOrEqual(2);
    });

    test.each(KDF_NAMES.map((n) => [n]))('%s: inputs are copied at the call: changing them afterwards changes nothing', async (name) => {
      const secret = randomBytes(40, 1);
      const params = { ...paramsFor(name), salt: randomBytes(16, 2), info: randomBytes(10, 3) };
      const want = hex(await get(name).derive(secret.slice(), { ...params, salt: params.salt.slice(), info: params.info.slice() }));
      const p = get(name).derive(secret, params);
      secret.fill(0);
      params.salt.fill(0);
      params.info.fill(0);
      expect(hex(await p)).toBe(want);
      expect(secret).toEqual(new Uint8Array(40)); // the caller's own buffer is theirs: not wiped, not kept
    });
  });
}
