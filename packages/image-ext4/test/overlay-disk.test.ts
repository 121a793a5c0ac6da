import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createCipheriv } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlayDisk } from '../src/_overlay-disk.js';

// Seeded, so every run reads and writes the same places (image-ext4's tests do not depend on
// testkit's PRNG): the AES-256-CTR keystream of a key made from the seed.
const SEED = 7;
function seededBytes(n: number, seed: number): Buffer {
  const key = Buffer.alloc(32);
  key.writeUInt32BE(seed);
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}
const pool = seededBytes(4 * 1000, SEED + 1);
let draws = 0;
/** The next seeded number in [0, 1). */
const nextRandom = (): number => pool.readUInt32BE(4 * draws++) / 2 ** 32;

const SIZE = 3 * 1024 * 1024 + 777;
const BASE = 4096 + 5;
let dir: string;
let file: string;
let data: Buffer;
let fh: FileHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'overlay-'));
  file = join(dir, 'disk');
  data = seededBytes(BASE + SIZE - 1000, SEED); // the file ends 1000 bytes short of the filesystem: zeros past it
  await writeFile(file, data);
  fh = await open(file, 'r');
});
afterAll(async () => {
  await fh.close();
  await rm(dir, { recursive: true, force: true });
});

function expected(pos: number, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    const p = pos + i;
    out[i] = p < SIZE && BASE + p < data.length ? data[BASE + p]! : 0;
  }
  return out;
}

async function readAt(d: OverlayDisk, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len + 8, 0xee);
  await d.read(buf, 4, len, pos);
  expect(buf.subarray(0, 4).every((b) => b === 0xee) && buf.subarray(4 + len).every((b) => b === 0xee)).toBe(true);
  return buf.subarray(4, 4 + len);
}

test(`reads at random offsets and sizes (across window and end-of-file boundaries) match the file (seed ${SEED})`, async () => {
  const d = new OverlayDisk(fh, BASE, SIZE);
  const cases: Array<[number, number]> = [[0, 1024], [512 * 1024 - 10, 20], [SIZE - 1500, 1500], [SIZE - 10, 100], [SIZE + 5, 10], [0, 2 * 1024 * 1024], [1, 0]];
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(nextRandom() * (i % 10 === 0 ? 1_500_000 : 9000));
    cases.push([Math.floor(nextRandom() * (SIZE + 2000)), len]);
  }
  for (const [pos, len] of cases) expect((await readAt(d, pos, len)).equals(expected(pos, len))).toBe(true);
});

test('writes land in the overlay, are read back, and never reach the file', async () => {
  const before = await readFile(file);
  const d = new OverlayDisk(fh, BASE, SIZE);
  const patches: Array<[number, Buffer]> = [[100, seededBytes(10, 1)], [4090, seededBytes(20, 2)], [700_000, seededBytes(9000, 3)], [SIZE - 3, seededBytes(3, 4)]];
  for (const [pos, bytes] of patches) await d.write(Buffer.concat([Buffer.alloc(7), bytes]), 7, bytes.length, pos);
  expect(d.writes).toBe(patches.length);
  const model = expected(0, SIZE);
  for (const [pos, bytes] of patches) bytes.copy(model, pos);
  for (const [pos, len] of [[0, SIZE], [4000, 200], [699_999, 9002], [SIZE - 10, 10]] as const) {
    expect((await readAt(d, pos, len)).equals(model.subarray(pos, pos + len))).toBe(true);
  }
  expect((await readFile(file)).equals(before)).toBe(true);
});
