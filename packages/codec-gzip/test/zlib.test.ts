import { describe, expect, test } from '@jest/globals';
import { createDeflate, deflateSync, constants } from 'node:zlib';
import { Registry, concatBytes } from '@qubes-backup/core';
import { adler32, unzlibPortable, zlibPortable } from '@qubes-backup/codec-gzip';
import { unzlibNode, zlibNode } from '@qubes-backup/codec-gzip/node';
import {
  describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, readSums, sha256hex as sha256, type Split,
} from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expected = readSums(fixture('zlib-sums.txt'));
const backends = [['node', unzlibNode], ['portable', unzlibPortable]] as const;
const expectCorrupt = (p: Promise<unknown>, pattern = /./) => expectCode(p, 'E_CORRUPT', /^zlib: /, pattern);

for (const descriptor of [zlibNode, zlibPortable]) describeCompressor(descriptor, {
  prefix: /^zlib: /, fixture, expected,
  byteByByte: ['empty.zz'],
  truncate: { fixture: 'text-6.zz', at: [1, 2, 5, 7, 100, 40_000, -5, -4, -3, -1], pattern: /truncated/ },
  inputError: 'text-6.zz', abort: 'text-6.zz',
  // 40 MiB, not the default 80: fflate's pushes held up to 102 MiB of a bomb live before the input was cut finer after a large push.
  bomb: { title: 'a 128 MiB bomb from a ~130 kB stream streams in small pieces', input: () => deflateZeros(128), maxInput: 200_000, split: 'random', maxLive: 40 * 2 ** 20 },
}, (unzlib) => {
  test.each(['whole', 'bytes', 'random'] as Split[])('small streams of every level and strategy, fed %s', async (split) => {
    const content = fixture('text-6.zz'); // any bytes will do as content
    for (const [level, strategy] of [[0, 0], [1, 0], [6, constants.Z_FILTERED], [9, constants.Z_HUFFMAN_ONLY], [6, constants.Z_RLE], [6, constants.Z_FIXED]] as const) {
      const input = deflateSync(content.subarray(0, 2500), { level, strategy });
      expect((await drainHashed(unzlib(pieces(input, split, level + 3)))).sha256).toBe(sha256(content.subarray(0, 2500)));
    }
  });

  test.each([
    ['deflate data', 30_000, /./],
    ['Adler-32 trailer', -3, /Adler-32|incorrect data check/],
    ['header check bits', 1, /header|invalid zlib data/],
  ])('a flipped bit in the %s', async (_what, k, pattern) => {
    const data = fixture('text-6.zz');
    const at = k < 0 ? data.length + k : k;
    await expectCorrupt(drainHashed(unzlib(pieces(flip(data, at, 0x01), 'random', at))), pattern);
  });

  test.each([
    ['one zero byte', new Uint8Array(1)],
    ['a copy of the trailer (a check of only the last 4 bytes would pass)', fixture('text-6.zz').subarray(-4)],
    ['text', new TextEncoder().encode('garbage!')],
    ['a second zlib stream', fixture('empty.zz')],
    ['64 KiB of zeros', new Uint8Array(65536)],
  ])('bytes after the stream are refused: %s', async (_what, tail) => {
    for (const name of ['text-6.zz', 'text-0.zz', 'empty.zz']) {
      const data = concatBytes([fixture(name), tail]);
      for (const split of ['whole', 'random'] as Split[]) {
        await expectCorrupt(drainHashed(unzlib(pieces(data, split, tail.length))), /garbage after the zlib stream/);
      }
      // ...also when they come in a later piece than the stream's end
      async function* later() { yield fixture(name); yield new Uint8Array(0); yield tail; }
      await expectCorrupt(drainHashed(unzlib(later())), /garbage after the zlib stream/);
    }
  });

  test('a stream that needs a preset dictionary is refused', async () => {
    const dict = new TextEncoder().encode('borg chunk archive');
    const data = deflateSync(new TextEncoder().encode('borg chunk archive borg chunk'), { dictionary: dict });
    expect(data[1]! & 0x20).toBe(0x20);
    await expectCorrupt(drainHashed(unzlib(pieces(data))), /dictionary/i);
  });

  test('gzip data is not a zlib stream', async () => {
    const { gzipSync } = await import('node:zlib');
    await expectCorrupt(drainHashed(unzlib(pieces(gzipSync(new Uint8Array(100))))));
  });

  test('empty input', async () => {
    await expectCorrupt(drainHashed(unzlib(pieces(new Uint8Array(0)))), /empty input/);
  });
});

async function deflateZeros(mib: number): Promise<Uint8Array> {
  const z = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => z.on('end', resolve));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) if (!z.write(zeros)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat(parts);
}

describe('zlib backends agree', () => {
  test('streams of many sizes and levels decode the same on both, at any split', async () => {
    for (let i = 0; i < 12; i++) {
      const c = new Uint8Array(i * 7000).map((_, j) => (j * (i + 7)) % (i % 3 === 0 ? 251 : 7));
      const input = deflateSync(c, { level: i % 10 });
      for (const [, unzlib] of backends) {
        expect((await drainHashed(unzlib(pieces(input, 'random', i)))).sha256).toBe(sha256(c));
      }
    }
  });

  test('Adler-32 matches zlib\'s, continued across pieces', () => {
    const data = fixture('text-9.zz');
    for (const n of [0, 1, 3799, 3800, 3801, 5552, 5553, data.length]) {
      const b = data.subarray(0, n);
      const want = new DataView(deflateSync(b).buffer).getUint32(deflateSync(b).length - 4); // zlib's own trailer
      expect(adler32(b)).toBe(want);
      expect(adler32(b.subarray(Math.floor(n / 3)), adler32(b.subarray(0, Math.floor(n / 3))))).toBe(want);
    }
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(new DataView(deflateSync(new Uint8Array(100_000).fill(255)).buffer).getUint32(deflateSync(new Uint8Array(100_000).fill(255)).length - 4));
  });

  test('descriptors: zlib, one per backend', () => {
    const r = new Registry().use(zlibNode, zlibPortable);
    expect(r.get('compressor', 'zlib').info.backend).toBe('node');
    expect(r.get('compressor', 'ZLIB', { backend: 'portable' }).info.backend).toBe('portable');
  });
});
