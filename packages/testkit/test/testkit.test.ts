import { describe, expect, test } from '@jest/globals';
import { concatBytes, equalBytes, type ByteStream } from '@qubes-backup/core';
import {
  caught, consume, expectCode, failure, flip, flipMember, outerMembers, pieces, randomBytes, randomSplits, split, writeOuter,
} from '@qubes-backup/testkit';

async function all(s: ByteStream): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of s) out.push(c);
  return out;
}

describe('splitting', () => {
  const data = randomBytes(200_000, 3);

  test('pieces: whole, bytes and random all give the same bytes; random reproduces per seed', async () => {
    expect(await all(pieces(data))).toHaveLength(1);
    const bytes = await all(pieces(data.subarray(0, 300), 'bytes'));
    expect(bytes.map((c) => c.length)).toEqual(new Array(300).fill(1));
    const a = await all(pieces(data, 'random', 5));
    expect(a.length).toBeGreaterThan(2);
    expect(equalBytes(concatBytes(a), data)).toBe(true);
    expect((await all(pieces(data, 'random', 5))).map((c) => c.length)).toEqual(a.map((c) => c.length));
    expect((await all(pieces(data, 'random', 6))).map((c) => c.length)).not.toEqual(a.map((c) => c.length));
  });

  test('split: cycled sizes, each piece at a non-zero byteOffset of its own buffer', async () => {
    const got = await all(split(data.subarray(0, 20), [3, 5], 3));
    expect(got.map((c) => c.length)).toEqual([3, 5, 3, 5, 3, 1]);
    for (const c of got) expect(c.byteOffset).toBe(3);
    const r = await all(randomSplits(data, 9, 100));
    expect(Math.max(...r.map((c) => c.length))).toBeLessThanOrEqual(100);
    expect(r.every((c) => c.byteOffset === 1)).toBe(true);
    expect(equalBytes(concatBytes(r), data)).toBe(true);
  });
});

describe('collecting and errors', () => {
  test('failure counts what came out before the error; consume reports the largest piece', async () => {
    async function* s(): ByteStream { yield new Uint8Array(7); throw new Error('x'); }
    expect(await failure(s())).toMatchObject({ released: 7, error: { message: 'x' } });
    await expect(failure(pieces(new Uint8Array(3)))).rejects.toThrow('expected the stream to fail');
    expect((await consume(split(new Uint8Array(10), [4]))).maxPiece).toBe(4);
  });

  test('expectCode checks the code and every pattern; caught is undefined on success', async () => {
    const e = Object.assign(new Error('gzip: truncated'), { code: 'E_CORRUPT' });
    await expect(expectCode(Promise.reject(e), 'E_CORRUPT', /^gzip: /, /truncated/)).resolves.toBe(e);
    await expect(expectCode(Promise.reject(e), 'E_AUTH')).rejects.toThrow();
    expect(await caught(Promise.resolve(1))).toBeUndefined();
    expect(flip(new Uint8Array(4), -1, 0x01)).toEqual(new Uint8Array([0, 0, 0, 1]));
  });
});

describe('outer tar', () => {
  test('writeOuter then outerMembers gives the members back; flipMember copies before changing', () => {
    const ms = [{ name: 'backup-header', data: new TextEncoder().encode('version=4\n') }, { name: 'vm1/private.img.000', data: randomBytes(1500, 1) }];
    const original = ms[1]!.data;
    flipMember(ms, 'vm1/private.img.000', () => 10);
    expect(original[10]).not.toBe(ms[1]!.data[10]);
    const back = outerMembers(writeOuter(ms));
    expect([...back.keys()]).toEqual(['backup-header', 'vm1/private.img.000']);
    expect(equalBytes(back.get('vm1/private.img.000')!, ms[1]!.data)).toBe(true);
  });
});
