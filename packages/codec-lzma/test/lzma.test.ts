import { expect, test } from '@jest/globals';
import { Registry, concatBytes } from '@qubes-backup/core';
import { lzmaPortable, parseLzmaHeader } from '@qubes-backup/codec-lzma';
import {
  caught, describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, prng, readSums,
} from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expected = readSums(fixture('sums.txt'));
const expectError = (p: Promise<unknown>, code: string, pattern = /./) => expectCode(p, code, /^lzma: /, pattern);

/** text.lzma with the header's "unknown" size replaced by `size` (the end marker stays). */
function withSize(size: number): Uint8Array {
  const d = fixture('text.lzma').slice();
  new DataView(d.buffer).setUint32(5, size, true);
  new DataView(d.buffer).setUint32(9, 0, true);
  return d;
}

describeCompressor(lzmaPortable, {
  prefix: /^lzma: /, fixture, expected, byteByByte: ['small.lzma', 'empty.lzma'],
  truncate: { fixture: 'text.lzma', at: [1, 12, 13, 14, 18, 100, 20_000, -6, -5, -1] },
  inputError: 'text.lzma', abort: 'zeros-128MiB.lzma',
  bomb: { title: 'a 128 MiB bomb from ~19 kB streams in small pieces', input: () => fixture('zeros-128MiB.lzma') },
}, (unlzma) => {
  test('the header is read as xz writes it', () => {
    expect(parseLzmaHeader(fixture('text.lzma'))).toEqual({ lc: 3, lp: 0, pb: 2, dictSize: 8 * 2 ** 20 });
    expect(parseLzmaHeader(fixture('text-lp2.lzma'))).toMatchObject({ lc: 0, lp: 2, pb: 0 });
    expect(parseLzmaHeader(withSize(354_932)).uncompressedSize).toBe(354_932);
  });

  test('a known size in the header: exact, too small, too large', async () => {
    const want = expected.get('text.lzma')!;
    const got = await drainHashed(unlzma(pieces(withSize(want.size), 'random')));
    expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
    await expectError(drainHashed(unlzma(pieces(withSize(want.size - 1000)))), 'E_CORRUPT', /declared/);
    await expectError(drainHashed(unlzma(pieces(withSize(want.size + 1)))), 'E_CORRUPT', /declared size/);
  });

  test('flipped bits never hang or escape as untyped errors (.lzma has no checksum)', async () => {
    const data = fixture('small.lzma');
    const r = prng(9);
    let rejected = 0;
    for (let i = 0; i < 40; i++) {
      const at = 13 + Math.floor(r() * (data.length - 13));
      const e = await caught(drainHashed(unlzma(pieces(flip(data, at, 1 << Math.floor(r() * 8))))));
      if (e) { expect(e.code).toBe('E_CORRUPT'); rejected++; }
    }
    expect(rejected).toBeGreaterThan(20);
  });

  test('garbage after the end, foreign data, empty input', async () => {
    await expectError(drainHashed(unlzma(pieces(concatBytes([fixture('small.lzma'), new Uint8Array(1)])))), 'E_CORRUPT', /garbage after the end/);
    const xz = new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4, 0xe6, 0xd6, 0xb4, 0x46, 0, 0]);
    await expectError(drainHashed(unlzma(pieces(xz))), 'E_CORRUPT', /not lzma data/);
    await expectError(drainHashed(unlzma(pieces(new Uint8Array(0)))), 'E_CORRUPT', /empty/);
  });

  test('a dictionary above 1 GiB is unsupported', async () => {
    const d = fixture('small.lzma').slice();
    new DataView(d.buffer).setUint32(1, 0xc0000000, true);
    await expectError(drainHashed(unlzma(pieces(d))), 'E_UNSUPPORTED', /dictionary of 3072 MiB/);
  });

  test('descriptor: lzma, portable', () => {
    const r = new Registry().use(lzmaPortable);
    expect(r.get('compressor', 'lzma').info).toEqual({ kind: 'compressor', name: 'lzma', backend: 'portable' });
  });
});
