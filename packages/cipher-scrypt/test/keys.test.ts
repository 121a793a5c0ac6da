import { describe, expect, test } from '@jest/globals';
import { once } from '@qubes-backup/core';
import { decryptScryptWithKeys, parseScryptHeader, SCRYPT_HEADER_SIZE } from '../src/index.js';
import { deriveScryptKeys } from '../src/node.js';
import { consume, enc, failure, sha256hex } from '@qubes-backup/testkit';
import { PASS, fixture, manifest } from './helpers.js';

describe('parseScryptHeader', () => {
  test('reads the parameters of real files', () => {
    for (const u of manifest.units) {
      const h = parseScryptHeader(fixture(u.file));
      expect({ logN: h.logN, r: h.r, p: h.p, N: h.N }).toEqual({ logN: u.logN, r: u.r, p: u.p, N: 2 ** u.logN });
      expect(h.memory).toBe(128 * h.r * (h.N + 2 + h.p));
      expect(h.bytes.length).toBe(SCRYPT_HEADER_SIZE);
      expect(h.salt.length).toBe(32);
    }
  });
  test('refuses short or foreign input with CorruptBackupError', () => {
    expect(() => parseScryptHeader(fixture('short.scrypt').subarray(0, 95))).toThrow(/truncated/);
    expect(() => parseScryptHeader(enc('x'.repeat(96)))).toThrow('not a valid scrypt-encrypted block');
  });
});

describe.each(['node', 'portable'] as const)('deriveScryptKeys + decryptScryptWithKeys (%s)', (backend) => {
  test('derive = decrypt, for each fixture, keys derived up front in parallel', async () => {
    const units = manifest.units.map((u) => fixture(u.file));
    const keys = await Promise.all(units.map((u) => deriveScryptKeys(u.subarray(0, 96), PASS, { backend })));
    for (const [i, u] of manifest.units.entries()) {
      expect(keys[i]!.backend).toBe(backend);
      const { bytes } = await consume(decryptScryptWithKeys(units[i]!, keys[i]!));
      expect(sha256hex(bytes)).toBe(u.sha256);
      expect(keys[i]!.wiped).toBe(true);
    }
  });
  test('keys are single-use', async () => {
    const unit = fixture('short.scrypt');
    const keys = await deriveScryptKeys(unit, PASS, { backend });
    await consume(decryptScryptWithKeys(once(unit), keys));
    expect(() => decryptScryptWithKeys(unit, keys)).toThrow(/already used or wiped/);
  });
  test('keys for another unit → CorruptBackupError, and they are wiped', async () => {
    const keys = await deriveScryptKeys(fixture('empty.scrypt'), PASS, { backend });
    const { error, released } = await failure(decryptScryptWithKeys(fixture('short.scrypt'), keys));
    expect(error).toMatchObject({ name: 'CorruptBackupError' });
    expect(released).toBe(0);
    expect(keys.wiped).toBe(true);
  });
  test('a stream abandoned early still wipes the keys', async () => {
    const unit = fixture('random150k.scrypt');
    const keys = await deriveScryptKeys(unit, PASS, { backend });
    for await (const _ of decryptScryptWithKeys(unit, keys)) break;
    expect(keys.wiped).toBe(true);
  });
  test('wrong passphrase, maxmem', async () => {
    const head = fixture('short.scrypt').subarray(0, 96);
    await expect(deriveScryptKeys(head, enc('nope'), { backend })).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
    await expect(deriveScryptKeys(head, PASS, { backend, maxmem: 1000 })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});
