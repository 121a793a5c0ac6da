import { describe, expect, test } from '@jest/globals';
import { once, type ByteStream, type PluginDescriptor } from '@qubes-backup/core';
import { createScryptCipher, createScryptMac } from '../src/node.js';
import { consume, enc, failure, flip as flipBits, randomBytes, sha256hex } from '@qubes-backup/testkit';
import { PASS, encryptUnit, fixture, manifest, randomSplits, split } from './helpers.js';

export interface ScryptBackend {
  readonly cipher: PluginDescriptor<'cipher'>;
  readonly mac: PluginDescriptor<'mac'>;
}

const flip = (data: Uint8Array, at: number): Uint8Array => flipBits(data, at, 0x01);

/** The scrypt conformance suite, run once per backend. */
export function describeBackend({ cipher: cipherD, mac: macD }: ScryptBackend): void {
  const backend = cipherD.backend;
  describe(`scrypt (${backend})`, () => {
    const cipher = cipherD.create();
    const mac = macD.create();
    const decrypt = (data: ByteStream | Uint8Array, pass = PASS): ByteStream =>
      cipher.decrypt(data instanceof Uint8Array ? once(data) : data, pass);

    test('descriptors', () => {
      expect(cipherD).toMatchObject({ kind: 'cipher', name: 'scrypt', backend });
      expect(macD).toMatchObject({ kind: 'mac', name: 'scrypt', backend });
      expect(cipher.info).toEqual({ kind: 'cipher', name: 'scrypt', backend });
      expect(mac.info).toEqual({ kind: 'mac', name: 'scrypt', backend });
    });

    describe.each(manifest.units)('real scrypt enc fixture $file', (u) => {
      const unit = fixture(u.file);
      test('decrypts whole', async () => {
        const { bytes, maxPiece } = await consume(decrypt(unit));
        expect(bytes.length).toBe(u.size);
        expect(sha256hex(bytes)).toBe(u.sha256);
        expect(maxPiece).toBeLessThanOrEqual(1 << 20);
      });
      test('decrypts at random splits', async () => {
        const { bytes } = await consume(decrypt(randomSplits(unit, u.size + 1, 700)));
        expect(sha256hex(bytes)).toBe(u.sha256);
      });
    });

    test('byte-by-byte input gives the same plaintext', async () => {
      const { bytes } = await consume(decrypt(split(fixture('short.scrypt'), [1])));
      expect(bytes).toEqual(new Uint8Array(fixture('short.txt')));
    });

    test('a unit over 1 MiB comes out in pieces of at most 1 MiB', async () => {
      const plain = randomBytes((1 << 20) * 2 + 12345, 42);
      const unit = encryptUnit(plain, PASS);
      const { bytes, maxPiece } = await consume(decrypt(randomSplits(unit, 9, 300000)));
      expect(sha256hex(bytes)).toBe(sha256hex(plain));
      expect(maxPiece).toBeLessThanOrEqual(1 << 20);
    });

    test('wrong passphrase → WrongPassphraseError, nothing released', async () => {
      const { error, released } = await failure(decrypt(fixture('random150k.scrypt'), enc('qubes!')));
      expect(error).toMatchObject({ name: 'WrongPassphraseError', code: 'E_PASSPHRASE' });
      expect((error as Error).message).toBe('wrong passphrase (scrypt header HMAC does not verify)');
      expect(released).toBe(0);
    });

    const short = fixture('short.scrypt');
    const tampered: [string, number, string][] = [
      ['magic', 0, 'CorruptBackupError'],
      ['version', 6, 'CorruptBackupError'],
      ['logN', 7, 'CorruptBackupError'],
      ['r', 11, 'CorruptBackupError'],
      ['p', 15, 'CorruptBackupError'],
      ['salt', 20, 'CorruptBackupError'],
      ['checksum', 50, 'CorruptBackupError'],
      ['header HMAC', 70, 'WrongPassphraseError'],
      ['first ciphertext byte', 96, 'AuthenticationError'],
      ['last ciphertext byte', short.length - 33, 'AuthenticationError'],
      ['trailer', -1, 'AuthenticationError'],
    ];
    test.each(tampered)('flipped bit in %s → %s, no plaintext released', async (_what, at, name) => {
      const { error, released } = await failure(decrypt(split(flip(short, at), [7])));
      expect(error).toMatchObject({ name });
      expect(released).toBe(0);
    });

    test('flipped ciphertext bit in a large unit releases nothing', async () => {
      const unit = flip(encryptUnit(randomBytes(3 << 20, 5), PASS), 5 << 19);
      const { error, released } = await failure(decrypt(unit));
      expect(error).toMatchObject({ name: 'AuthenticationError', code: 'E_AUTH' });
      expect((error as Error).message).toBe('scrypt HMAC does not verify (tampered or truncated)');
      expect(released).toBe(0);
    });

    test.each([
      ['one byte short', short.length - 1, 'AuthenticationError'],
      ['127 bytes', 127, 'CorruptBackupError'],
      ['header only', 96, 'CorruptBackupError'],
      ['half a header', 50, 'CorruptBackupError'],
      ['empty', 0, 'CorruptBackupError'],
    ])('truncated (%s) → %s', async (_what, n, name) => {
      const { error, released } = await failure(decrypt(short.subarray(0, n)));
      expect(error).toMatchObject({ name });
      expect(released).toBe(0);
    });

    test('a byte appended → AuthenticationError', async () => {
      const longer = new Uint8Array(short.length + 1);
      longer.set(short);
      const { error } = await failure(decrypt(longer));
      expect(error).toMatchObject({ name: 'AuthenticationError' });
    });

    test('not scrypt at all → CorruptBackupError', async () => {
      const { error } = await failure(decrypt(enc('Salted__0123456789abcdef'.repeat(10))));
      expect(error).toMatchObject({ name: 'CorruptBackupError', message: 'not a valid scrypt-encrypted block' });
    });

    test('maxmem below the KDF need → UnsupportedError before the KDF runs', async () => {
      const need = 128 * 8 * (1024 + 2 + 1); // logN 10, r 8, p 1: V, two working blocks, one lane's block
      const c = createScryptCipher({ backend, maxmem: need - 1 });
      const { error } = await failure(c.decrypt(once(short), PASS));
      expect(error).toMatchObject({ name: 'UnsupportedError' });
      const ok = createScryptCipher({ backend, maxmem: need });
      expect(sha256hex((await consume(ok.decrypt(once(short), PASS))).bytes)).toBe(manifest.units[1]!.sha256);
    });

    test('p lanes run one after another: p = 9 needs V once, not 9 times (scrypt picks p > 1 on a memory-bound dom0)', async () => {
      const plain = enc('made on a small dom0');
      const unit = encryptUnit(plain, PASS, 10, 8, 9);
      const c = createScryptCipher({ backend, maxmem: 128 * 8 * (1024 + 2 + 9) });
      expect((await consume(c.decrypt(once(unit), PASS))).bytes).toEqual(plain);
    });

    test('a unit over maxUnitSize → CorruptBackupError', async () => {
      const c = createScryptCipher({ backend, maxUnitSize: 1000 });
      const { error, released } = await failure(c.decrypt(split(fixture('random150k.scrypt'), [100]), PASS));
      expect(error).toMatchObject({ name: 'CorruptBackupError' });
      expect(released).toBe(0);
    });

    test('an aborted signal stops the decryption', async () => {
      const ac = new AbortController();
      ac.abort();
      const { error } = await failure(cipher.decrypt(once(short), PASS, { signal: ac.signal }));
      expect((error as Error).name).toBe('AbortError');
    });

    test('onProgress counts every input byte', async () => {
      let n = 0;
      await consume(cipher.decrypt(split(short, [10]), PASS, { onProgress: (d) => { n += d; } }));
      expect(n).toBe(short.length);
    });

    describe('Mac (backup-header.hmac)', () => {
      const header = fixture('backup-header.txt');
      const tag = fixture('backup-header.hmac');
      const key = enc('backup-header!qubes');
      test('verifies the real backup-header.hmac', async () => {
        await expect(mac.verify(split(header, [5]), tag, key)).resolves.toBeUndefined();
      });
      test('wrong key → WrongPassphraseError', async () => {
        await expect(mac.verify(once(header), tag, PASS)).rejects.toMatchObject({ name: 'WrongPassphraseError' });
      });
      test('different data → AuthenticationError', async () => {
        await expect(mac.verify(once(flip(header, 3)), tag, key)).rejects.toMatchObject({ name: 'AuthenticationError' });
        await expect(mac.verify(once(header.subarray(1)), tag, key)).rejects.toMatchObject({ name: 'AuthenticationError' });
        const longer = new Uint8Array(header.length + 1);
        longer.set(header);
        await expect(mac.verify(once(longer), tag, key)).rejects.toMatchObject({ name: 'AuthenticationError' });
      });
      test('tampered tag → AuthenticationError or CorruptBackupError', async () => {
        await expect(mac.verify(once(header), flip(tag, -5), key)).rejects.toMatchObject({ name: 'AuthenticationError' });
        await expect(mac.verify(once(header), flip(tag, 20), key)).rejects.toMatchObject({ name: 'CorruptBackupError' });
        await expect(mac.verify(once(header), tag.subarray(0, 100), key)).rejects.toMatchObject({ name: 'CorruptBackupError' });
      });
      test('createScryptMac honours maxmem', async () => {
        const m = createScryptMac({ backend, maxmem: (1 << 20) - 1 });
        await expect(m.verify(once(header), tag, key)).rejects.toMatchObject({ name: 'UnsupportedError' });
      });
    });
  });
}
