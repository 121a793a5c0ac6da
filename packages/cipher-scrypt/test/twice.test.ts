// A unit from a seekable source is authenticated in a first read that holds nothing and decrypted in
// a second, whose every piece is checked against the first read before it is decrypted: whatever the
// storage answers the second time (a file changed meanwhile, a lying server), nothing unauthenticated
// is ever decrypted or yielded.
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { ByteStream, Cipher } from '@qubes-backup/core';
import { scryptCipherNode } from '../src/node.js';
import { scryptCipherPortable } from '../src/portable.js';
import { PASS, encryptUnit, fixture, manifest, randomSplits, split } from './helpers.js';
import { enc, randomBytes } from '@qubes-backup/testkit';

const MiB = 2 ** 20;
const HEAD = 96;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Reads of one unit: the n-th call gives `versions[n]` (the last one from then on), split as `pieces`. */
function reads(versions: readonly Uint8Array[], pieces: (b: Uint8Array, n: number) => ByteStream = (b) => split(b, [64 * 1024])) {
  let n = 0;
  return () => { const i = Math.min(n, versions.length - 1); n++; return pieces(versions[i]!, i); };
}

async function drain(s: ByteStream): Promise<{ plain: Uint8Array; error?: unknown }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const p of s) parts.push(p.slice());
    return { plain: Buffer.concat(parts) };
  } catch (error) {
    return { plain: Buffer.concat(parts), error };
  }
}

describe.each([['node', scryptCipherNode.create()], ['portable', scryptCipherPortable.create()]] as [string, Cipher][])('decryptTwice (%s)', (_name, cipher) => {
  test.each(manifest.units)('a unit made by the scrypt CLI: $file', async (u) => {
    const unit = fixture(u.file);
    const { plain, error } = await drain(cipher.decryptTwice!(reads([unit], (b, i) => randomSplits(b, 3 + i, 5000)), PASS));
    expect(error).toBeUndefined();
    expect([plain.length, sha(plain)]).toEqual([u.size, u.sha256]);
  });

  test.each([0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 77])('%i bytes, read in pieces of 1 byte to 5 MiB: the same plaintext as decrypt', async (size) => {
    const data = randomBytes(size, size + 1);
    const unit = encryptUnit(data, PASS);
    for (const piece of size < 4096 ? [1, 7, 4096] : [65536, 5 * MiB]) {
      const { plain, error } = await drain(cipher.decryptTwice!(reads([unit], (b) => split(b, [piece])), PASS));
      expect(error).toBeUndefined();
      expect(sha(plain)).toBe(sha(data));
    }
  });

  const data = randomBytes(3 * MiB + 77, 9);
  const unit = encryptUnit(data, PASS);
  const flipped = (at: number) => { const b = unit.slice(); b[at]! ^= 1; return b; };

  test('a tampered unit: nothing is yielded, AuthenticationError', async () => {
    const { plain, error } = await drain(cipher.decryptTwice!(reads([flipped(HEAD + 2 * MiB + 5)]), PASS));
    expect(error).toMatchObject({ code: 'E_AUTH' });
    expect(plain.length).toBe(0);
  });

  test('changed between the two reads: the pieces before the change come out, not one byte of the changed piece', async () => {
    const { plain, error } = await drain(cipher.decryptTwice!(reads([unit, flipped(HEAD + 2 * MiB + 5)]), PASS));
    expect(error).toMatchObject({ code: 'E_AUTH' });
    expect(String((error as Error).message)).toMatch(/changed between its two reads \(bytes 2097248\.\.3145824\)/);
    expect(plain.length).toBe(2 * MiB);
    expect(sha(plain)).toBe(sha(data.subarray(0, 2 * MiB)));
  });

  test('the second read is shorter, or has another header: refused', async () => {
    for (const [second, why] of [[unit.subarray(0, HEAD + MiB + 10), /ended at byte/], [flipped(20), /\(header\)/]] as const) {
      const { plain, error } = await drain(cipher.decryptTwice!(reads([unit, second]), PASS));
      expect(error).toMatchObject({ code: 'E_AUTH' });
      expect(String((error as Error).message)).toMatch(why);
      expect(plain.length).toBeLessThanOrEqual(MiB);
    }
  });

  test('a wrong passphrase and a truncated unit fail as with decrypt', async () => {
    expect((await drain(cipher.decryptTwice!(reads([unit]), enc('nope')))).error).toMatchObject({ code: 'E_PASSPHRASE' });
    expect((await drain(cipher.decryptTwice!(reads([unit.subarray(0, HEAD + 20)]), PASS))).error).toMatchObject({ code: 'E_CORRUPT' });
    expect((await drain(cipher.decryptTwice!(reads([unit.subarray(0, unit.length - 1)]), PASS))).error).toMatchObject({ code: 'E_AUTH' });
  });

  test('keys derived ahead decrypt twice as well, and refuse another unit', async () => {
    const prepared = await cipher.prepare!(unit.subarray(0, HEAD), PASS);
    expect(sha((await drain(prepared.decryptTwice!(reads([unit])))).plain)).toBe(sha(data));
    const other = encryptUnit(data, PASS, 10, 8, 1, randomBytes(32, 8));
    const again = await cipher.prepare!(unit.subarray(0, HEAD), PASS);
    expect((await drain(again.decryptTwice!(reads([other])))).error).toMatchObject({ code: 'E_AUTH' });
  });
});
