// A volume's chunk map is sized by the chunks its manifests name, not by the size its session
// records: a large sparse volume (or a size field someone inflated, in an unencrypted archive)
// costs only what is listed, and a map too large to hold is a clear refusal.
import { expect, test } from '@jest/globals';
import type { MetadataReader, SessionInfo, VolumeInfo } from '../src/metadata.js';
import { volumeAt } from '../src/volume.js';
import { registry } from './_wyng.js';

const CHUNK = 1 << 16;
const session = (volsize: number): SessionInfo => ({ id: 'S_20260101-000000', volsize, sequence: 0, previous: 'None', manifestHash: 'x', permissions: '', localtime: '', tags: [] });
const volume = (volsize: number): VolumeInfo => ({ vid: 'Vol_000001', name: 'vm-work-private', desc: '', sessions: [session(volsize)] });
/** A reader whose one manifest names these addresses (a hash of 0x11 each). */
const reader = (addrs: number[]) => ({
  conf: { chunkSize: CHUNK },
  manifest: async (_v: VolumeInfo, _s: SessionInfo, each: (addr: number, hash: Uint8Array | undefined) => void) => {
    for (const a of addrs) each(a, new Uint8Array(32).fill(0x11));
  },
}) as unknown as MetadataReader;

test('a volume of 2^50 bytes whose manifest names two chunks maps two chunks', async () => {
  const v = await volumeAt(reader([0, 5 * CHUNK]), registry(), volume(2 ** 50), 0);
  expect(v.size).toBe(2 ** 50);
  expect(Array.from(v.owner)).toEqual([0, -1, -1, -1, -1, 0]);
  expect(v.hashes.length).toBe(6 * 32);
});

test('a manifest naming a chunk past what can be mapped is refused, naming the volume', async () => {
  await expect(volumeAt(reader([2 ** 26 * CHUNK]), registry(), volume(2 ** 50), 0)).rejects.toMatchObject({
    code: 'E_UNSUPPORTED', message: expect.stringContaining('more than the 67108864 this reader maps'),
  });
});
