// index.N read in place: lookups probe groups of 100 buckets, each group read once and kept (a
// restore looks up every chunk; over SFTP every read is a round trip), a failed read not kept.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { ByteSource } from '@qubes-backup/core';
import { HashIndexFile } from '../src/hash-index.js';

/** A borg HashIndex of `buckets` buckets holding `keys` (linear probing from u32le(key) % buckets). */
function indexOf(keys: Uint8Array[], buckets: number): Uint8Array {
  const out = new Uint8Array(18 + buckets * 40);
  out.set(new TextEncoder().encode('BORG_IDX'));
  const v = new DataView(out.buffer);
  v.setInt32(8, keys.length, true);
  v.setInt32(12, buckets, true);
  out[16] = 32;
  out[17] = 8;
  for (let i = 0; i < buckets; i++) v.setUint32(18 + i * 40 + 32, 0xffffffff, true);
  keys.forEach((k, n) => {
    let i = new DataView(k.buffer, k.byteOffset).getUint32(0, true) % buckets;
    while (v.getUint32(18 + i * 40 + 32, true) !== 0xffffffff) i = (i + 1) % buckets;
    out.set(k, 18 + i * 40);
    v.setUint32(18 + i * 40 + 32, n + 1, true);
    v.setUint32(18 + i * 40 + 36, n * 1000, true);
  });
  return out;
}

function source(bytes: Uint8Array, failFirst = false): ByteSource & { reads: number } {
  let failed = !failFirst;
  const s = {
    name: 'index.1', size: bytes.length, seekable: true, reads: 0,
    stream: () => { throw new Error('not used'); },
    read: async (offset: number, length: number) => {
      s.reads++;
      if (!failed && offset >= 18) { failed = true; throw new Error('EIO'); }
      return bytes.slice(offset, offset + length);
    },
  };
  return s;
}

describe('HashIndexFile', () => {
  test('every key found where it was put; each group of buckets read once however many lookups use it', async () => {
    const keys = Array.from({ length: 1500 }, () => randomBytes(32));
    const src = source(indexOf(keys, 2000));
    const index = (await HashIndexFile.open(src))!;
    const opened = src.reads;
    for (let round = 0; round < 3; round++) {
      for (const [n, k] of keys.entries()) expect(await index.lookup(k)).toEqual({ segment: n + 1, offset: n * 1000 });
    }
    expect(await index.lookup(randomBytes(32))).toBeUndefined();
    expect(src.reads - opened).toBeLessThanOrEqual(20); // 2000 buckets: 20 groups
  });

  test('a read that fails is not kept: the lookup fails, the next one reads again', async () => {
    const keys = [randomBytes(32)];
    const src = source(indexOf(keys, 50), true);
    const index = (await HashIndexFile.open(src))!;
    await expect(index.lookup(keys[0]!)).rejects.toThrow('EIO');
    expect(await index.lookup(keys[0]!)).toEqual({ segment: 1, offset: 0 });
  });
});
