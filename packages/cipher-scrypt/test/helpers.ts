// This package's own test helpers; the shared ones come from @qubes-backup/testkit.
import { createCipheriv, createHash, createHmac, scryptSync } from 'node:crypto';
import type { ByteStream } from '@qubes-backup/core';
import { enc, fixtureReader, randomBytes, randomSplits as randomSplitsAt, split as splitAt } from '@qubes-backup/testkit';

export const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));

export interface UnitFixture { file: string; logN: number; r: number; p: number; size: number; sha256: string }
export const manifest = JSON.parse(new TextDecoder().decode(fixture('manifest.json'))) as {
  passphrase: string;
  units: UnitFixture[];
};
export const PASS = enc(manifest.passphrase);

// This package's splits put each piece at byteOffset 3 (unaligned for 2-, 4- and 8-byte views).
export const split = (data: Uint8Array, sizes: readonly number[]): ByteStream => splitAt(data, sizes, 3);
export const randomSplits = (data: Uint8Array, seed: number, max = 4096): ByteStream => randomSplitsAt(data, seed, max, 3);

/**
 * A test-only `scrypt enc` writer (node:crypto) for inputs too large to commit; the committed
 * fixtures from the real CLI check that it matches the real layout.
 */
export function encryptUnit(plain: Uint8Array, pass: Uint8Array, logN = 10, r = 8, p = 1, salt = randomBytes(32, 7)): Uint8Array {
  const N = 2 ** logN;
  const dk = scryptSync(pass, salt, 64, { N, r, p, maxmem: 128 * N * r * p + 2 ** 26 });
  const head = new Uint8Array(96);
  head.set(enc('scrypt'), 0);
  head[7] = logN;
  const v = new DataView(head.buffer);
  v.setUint32(8, r);
  v.setUint32(12, p);
  head.set(salt, 16);
  head.set(createHash('sha256').update(head.subarray(0, 48)).digest().subarray(0, 16), 48);
  head.set(createHmac('sha256', dk.subarray(32)).update(head.subarray(0, 64)).digest(), 64);
  const c = createCipheriv('aes-256-ctr', dk.subarray(0, 32), new Uint8Array(16));
  const body = Buffer.concat([c.update(plain), c.final()]);
  const mac = createHmac('sha256', dk.subarray(32)).update(head).update(body).digest();
  return new Uint8Array(Buffer.concat([head, body, mac]));
}
