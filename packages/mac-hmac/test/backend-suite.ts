import { describe, expect, test } from '@jest/globals';
import { once, type PluginDescriptor } from '@qubes-backup/core';
import { HMAC_ALGORITHMS } from '../src/index.js';
import { enc, fixtureReader, split } from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const QUBES = enc('qubes');

// RFC 2202 (MD5, SHA-1), RFC 4231 (SHA-2) and RFC 2286 (RIPEMD-160), cases 1, 2 and the long key.
const KEY_0B = (n: number) => new Uint8Array(n).fill(0x0b);
const LONG_KEY = new Uint8Array(131).fill(0xaa);
const LONG_DATA = enc('Test Using Larger Than Block-Size Key - Hash Key First');
const vectors: [string, Uint8Array, Uint8Array, string][] = [
  ['md5', KEY_0B(16), enc('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
  ['md5', enc('Jefe'), enc('what do ya want for nothing?'), '750c783e6ab0b503eaa86e310a5db738'],
  ['sha1', KEY_0B(20), enc('Hi There'), 'b617318655057264e28bc0b6fb378c8ef146be00'],
  ['sha1', enc('Jefe'), enc('what do ya want for nothing?'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
  ['ripemd160', KEY_0B(20), enc('Hi There'), '24cb4bd67d20fc1a5d2ed7732dcc39377f0a5668'],
  ['ripemd160', enc('Jefe'), enc('what do ya want for nothing?'), 'dda6c0213a485a9e24f4742064a7f033b43c4069'],
  ['sha224', KEY_0B(20), enc('Hi There'), '896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22'],
  ['sha256', KEY_0B(20), enc('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  ['sha384', KEY_0B(20), enc('Hi There'),
    'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'],
  ['sha512', KEY_0B(20), enc('Hi There'),
    '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
  ['sha224', enc('Jefe'), enc('what do ya want for nothing?'), 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44'],
  ['sha256', enc('Jefe'), enc('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  ['sha384', enc('Jefe'), enc('what do ya want for nothing?'),
    'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649'],
  ['sha512', enc('Jefe'), enc('what do ya want for nothing?'),
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'],
  ['sha256', LONG_KEY, LONG_DATA, '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ['sha512', LONG_KEY, LONG_DATA,
    '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598'],
];

/** The HMAC conformance suite, run once per backend's descriptor list. */
export function describeBackend(descriptors: readonly PluginDescriptor<'mac'>[]): void {
  const backend = descriptors[0]!.backend;
  const mac = (name: string) => {
    const d = descriptors.find((x) => x.name === name);
    if (!d) throw new Error(`no ${name}`);
    return d.create();
  };

  describe(`mac-hmac (${backend})`, () => {
    test('one lowercase descriptor per algorithm', () => {
      expect(descriptors.map((d) => d.name)).toEqual([...HMAC_ALGORITHMS]);
      for (const d of descriptors) {
        expect(d).toMatchObject({ kind: 'mac', backend });
        expect(d.create().info).toMatchObject({ kind: 'mac', name: d.name, backend });
      }
    });

    test.each(vectors)('RFC vector %s key=%#', async (alg, key, data, hex) => {
      await expect(mac(alg).verify(once(data), enc(`(stdin)= ${hex}\n`), key)).resolves.toBeUndefined();
      const wrong = hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
      await expect(mac(alg).verify(once(data), enc(`(stdin)= ${wrong}\n`), key))
        .rejects.toMatchObject({ name: 'AuthenticationError', code: 'E_AUTH', message: 'HMAC does not verify' });
    });

    describe.each(HMAC_ALGORITHMS.map((a) => [a]))('real openssl dgst -%s -hmac qubes', (alg) => {
      const data = fixture('data.bin');
      test.each(['stdin', 'file'])('%s form verifies, whole and at splits', async (form) => {
        const tag = fixture(`data.${alg}.${form}.hmac`);
        await mac(alg).verify(once(data), tag, QUBES);
        await mac(alg).verify(split(data, [1, 7, 64, 1000]), tag, QUBES);
        await mac(alg).verify(once(new Uint8Array(0)), fixture(`empty.${alg}.${form}.hmac`), QUBES);
      });
      test('OpenSSL 1.x "(stdin)= hex" and upper-case hex verify too', async () => {
        const text = new TextDecoder().decode(fixture(`data.${alg}.stdin.hmac`));
        const value = text.split('=')[1]!.trim();
        await mac(alg).verify(once(data), enc(`(stdin)= ${value}\n`), QUBES);
        await mac(alg).verify(once(data), enc(`  (stdin)=${value.toUpperCase()}\r\n\x0b`), QUBES);
      });
      test('wrong key, changed data, truncated data → AuthenticationError', async () => {
        const tag = fixture(`data.${alg}.stdin.hmac`);
        const changed = data.slice();
        changed[5000]! ^= 0x80;
        for (const [d, k] of [[data, enc('Qubes')], [changed, QUBES], [data.subarray(0, 9999), QUBES]] as const) {
          await expect(mac(alg).verify(once(d), tag, k)).rejects.toMatchObject({ code: 'E_AUTH' });
        }
      });
    });

    test('a tag of another algorithm does not verify (AuthenticationError, not a crash)', async () => {
      await expect(mac('sha256').verify(once(fixture('data.bin')), fixture('data.sha512.stdin.hmac'), QUBES))
        .rejects.toMatchObject({ code: 'E_AUTH' });
    });

    test.each([
      ['over 4 KiB', enc('(stdin)= ' + 'a'.repeat(4100))],
      ['non-ASCII', enc('(stdin)= é')],
      ['no "="', enc('garbage without separator\n')],
      ['empty', new Uint8Array(0)],
      ['only whitespace', enc('  \n')],
    ])('invalid .hmac file (%s) → CorruptBackupError, data untouched', async (_what, tag) => {
      let pulled = 0;
      async function* data() { pulled++; yield fixture('data.bin'); }
      await expect(mac('sha512').verify(data(), tag, QUBES))
        .rejects.toMatchObject({ name: 'CorruptBackupError', code: 'E_CORRUPT' });
      expect(pulled).toBe(0);
    });

    test('garbage with "=" is parsed and fails as a mismatch', async () => {
      await expect(mac('sha512').verify(once(fixture('data.bin')), enc('x=y=z'), QUBES))
        .rejects.toMatchObject({ code: 'E_AUTH' });
    });

    test('abort signal and progress', async () => {
      const tag = fixture('data.sha512.stdin.hmac');
      let n = 0;
      await mac('sha512').verify(split(fixture('data.bin'), [999]), tag, QUBES, { onProgress: (d) => { n += d; } });
      expect(n).toBe(10000);
      const ac = new AbortController();
      ac.abort();
      await expect(mac('sha512').verify(once(fixture('data.bin')), tag, QUBES, { signal: ac.signal }))
        .rejects.toMatchObject({ name: 'AbortError' });
    });
  });
}
