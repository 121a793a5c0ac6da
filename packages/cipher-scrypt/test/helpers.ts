// This package's own test helpers; the shared ones come from @qubes-backup/testkit.
import type { ByteStream } from '@qubes-backup/core';
import { enc, fixtureReader, randomSplits as randomSplitsAt, split as splitAt } from '@qubes-backup/testkit';

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

// The test-only `scrypt enc` writer lives in testkit (format-4 tests forge chunks with it too).
export { encryptUnit } from '@qubes-backup/testkit';
