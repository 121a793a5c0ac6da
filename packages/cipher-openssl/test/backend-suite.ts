import { describe, expect, test } from '@jest/globals';
import { once, type PluginDescriptor } from '@qubes-backup/core';
import { OPENSSL_CIPHER_NAMES } from '../src/index.js';
import { createOpensslCipher } from '../src/node.js';
import { consume, enc, hex, randomSplits, split, streamError } from '@qubes-backup/testkit';
import { fixture } from './helpers.js';

const PLAIN = fixture('plain.bin');
const QUBES = enc('qubes');
const SIZES = [0, 1, 15, 16, 17, 100003];
const plain = (n: number) => PLAIN.subarray(0, n);

/** The openssl enc conformance suite, run once per backend's descriptor list. */
export function describeBackend(descriptors: readonly PluginDescriptor<'cipher'>[]): void {
  const backend = descriptors[0]!.backend;
  const cipher = (name: string) => descriptors.find((d) => d.name === name)!.create();

  describe(`cipher-openssl (${backend})`, () => {
    test('one descriptor per cipher', () => {
      expect(descriptors.map((d) => d.name)).toEqual([...OPENSSL_CIPHER_NAMES]);
      for (const d of descriptors) expect(d.create().info).toEqual({ kind: 'cipher', name: d.name, backend });
    });

    describe.each(OPENSSL_CIPHER_NAMES.map((n) => [n]))('real openssl enc -%s -md md5', (name) => {
      test.each(SIZES)('%d bytes, whole and at random splits', async (n) => {
        const ct = fixture(`${name}.md5.${n}.bin`);
        const whole = await consume(cipher(name).decrypt(once(ct), QUBES));
        expect(hex(whole.bytes)).toBe(hex(plain(n)));
        const pieces = await consume(cipher(name).decrypt(randomSplits(ct, n + 3, 3000), QUBES));
        expect(hex(pieces.bytes)).toBe(hex(plain(n)));
      });
      test('17 bytes split at every position and byte by byte', async () => {
        const ct = fixture(`${name}.md5.17.bin`);
        for (let at = 1; at < ct.length; at++) {
          const { bytes } = await consume(cipher(name).decrypt(split(ct, [at, ct.length]), QUBES));
          expect(hex(bytes)).toBe(hex(plain(17)));
        }
        expect(hex((await consume(cipher(name).decrypt(split(ct, [1]), QUBES))).bytes)).toBe(hex(plain(17)));
      });
      test.each([0, 17, 1000])('-md sha256, %d bytes, through createOpensslCipher', async (n) => {
        const ct = fixture(`${name}.sha256.${n}.bin`);
        const c = createOpensslCipher({ name: name.toUpperCase(), digest: 'sha256', backend });
        expect(c.info).toEqual({ kind: 'cipher', name, backend });
        expect(hex((await consume(c.decrypt(split(ct, [5, 16, 33]), QUBES))).bytes)).toBe(hex(plain(n)));
      });
    });

    test('CBC with a wrong passphrase fails the padding check (mostly)', async () => {
      let bad = 0;
      let total = 0;
      for (const name of OPENSSL_CIPHER_NAMES.filter((n) => n.endsWith('cbc'))) {
        for (const n of SIZES) {
          total++;
          const e = await streamError(cipher(name).decrypt(once(fixture(`${name}.md5.${n}.bin`)), enc('Qubes'))).catch(() => undefined);
          if (e !== undefined) {
            expect(e).toMatchObject({
              name: 'CorruptBackupError',
              message: 'bad decrypt: wrong passphrase or digest (padding check failed)',
            });
            bad++;
          }
        }
      }
      expect(bad).toBeGreaterThanOrEqual(total - 2);
    });

    test('CBC with the wrong digest (sha256 file read as md5) fails the padding check', async () => {
      await expect(streamError(cipher('aes-256-cbc').decrypt(once(fixture('aes-256-cbc.sha256.100003.bin')), QUBES)))
        .resolves.toMatchObject({ code: 'E_CORRUPT' });
    });

    test('a large CBC stream: pieces of at most 1 MiB, output starts before the input ends', async () => {
      const ct = fixture('aes-256-cbc.md5.100003.bin');
      let pulled = 0;
      let firstOutputAt = -1;
      async function* src() {
        for (let o = 0; o < ct.length; o += 1000) { pulled += 1; yield ct.subarray(o, o + 1000); }
      }
      const parts: Uint8Array[] = [];
      for await (const c of cipher('aes-256-cbc').decrypt(src(), QUBES)) {
        if (firstOutputAt < 0) firstOutputAt = pulled;
        parts.push(c);
        expect(c.length).toBeLessThanOrEqual(1 << 20);
      }
      expect(firstOutputAt).toBeLessThan(5);
      expect(hex(new Uint8Array(Buffer.concat(parts)))).toBe(hex(PLAIN));
    });

    test.each([
      ['empty input', new Uint8Array(0)],
      ['short header', enc('Salted__1234')],
      ['no magic', enc('NotSalted_______and some ciphertext')],
    ])('%s → CorruptBackupError "no Salted__ header"', async (_what, data) => {
      await expect(streamError(cipher('aes-256-ctr').decrypt(once(data), QUBES)))
        .resolves.toMatchObject({ name: 'CorruptBackupError', message: expect.stringContaining('no Salted__ header') });
    });

    test('CBC input not a multiple of 16 → CorruptBackupError', async () => {
      const ct = fixture('aes-128-cbc.md5.100003.bin');
      for (const n of [16, ct.length - 1, ct.length - 15, 17]) {
        await expect(streamError(cipher('aes-128-cbc').decrypt(once(ct.subarray(0, n)), QUBES)))
          .resolves.toMatchObject({ name: 'CorruptBackupError' });
      }
    });

    test('CBC flipped last byte → padding error; stream modes just decrypt a changed byte', async () => {
      const ct = fixture('aes-192-cbc.md5.17.bin').slice();
      ct[ct.length - 1]! ^= 0x01;
      await expect(streamError(cipher('aes-192-cbc').decrypt(once(ct), QUBES))).resolves.toMatchObject({ code: 'E_CORRUPT' });
      const ctr = fixture('aes-192-ctr.md5.17.bin').slice();
      ctr[ctr.length - 1]! ^= 0x01;
      const { bytes } = await consume(cipher('aes-192-ctr').decrypt(once(ctr), QUBES));
      expect(bytes[16]).toBe(PLAIN[16]! ^ 0x01);
    });

    test('progress and abort', async () => {
      const ct = fixture('aes-256-ofb.md5.100003.bin');
      let n = 0;
      await consume(cipher('aes-256-ofb').decrypt(split(ct, [4096]), QUBES, { onProgress: (d) => { n += d; } }));
      expect(n).toBe(ct.length);
      const ac = new AbortController();
      ac.abort();
      await expect(streamError(cipher('aes-256-ofb').decrypt(once(ct), QUBES, { signal: ac.signal })))
        .resolves.toMatchObject({ name: 'AbortError' });
    });
  });
}
