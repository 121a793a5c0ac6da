import { expect, test } from '@jest/globals';
import { Registry, concatBytes } from '@qubes-backup/core';
import { bzip2Portable } from '@qubes-backup/codec-bzip2';
import { describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, readSums } from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expectCorrupt = (p: Promise<unknown>, pattern = /./) => expectCode(p, 'E_CORRUPT', /^bzip2: /, pattern);

describeCompressor(bzip2Portable, {
  prefix: /^bzip2: /, fixture, expected: readSums(fixture('sums.txt')), byteByByte: ['pbzip2.bz2', 'empty.bz2'],
  truncate: { fixture: 'text-1.bz2', at: [1, 3, 4, 10, 1000, 30_000, -11, -5, -1] },
  inputError: 'text-1.bz2', abort: 'text-1.bz2',
  // One 900 kB block of runs decodes to ~46 MB, held until the block is done: bounded, not 128 MiB.
  bomb: { title: 'a 128 MiB bomb from 112 bytes streams in pieces of at most 1 MiB', input: () => fixture('zeros-128MiB.bz2'), sampleEvery: 16,
    // bzip2 cannot pause inside a block: a 900 kB block of one byte expands to ~46 MB at once, and
    // the next block's output may be live before the last is collected (measured up to 97 MB).
    maxLive: 112 * 2 ** 20 },
}, (bunzip2) => {
  test.each([100, 20_000, -3])('a flipped bit at %i (negative: from the end)', async (k) => {
    const data = fixture('text-1.bz2');
    const at = k < 0 ? data.length + k : k;
    await expectCorrupt(drainHashed(bunzip2(pieces(flip(data, at), 'random', at))));
  });

  test('the CRC is what catches a flipped bit inside a block', async () => {
    const e = await drainHashed(bunzip2(pieces(flip(fixture('text.bz2'), 40_000, 0x01)))).catch((err: Error) => err);
    expect((e as Error).message).toMatch(/^bzip2: /);
  });

  test.each([
    ['garbage', new TextEncoder().encode('garbage!')],
    ['zero bytes', new Uint8Array(512)],
    ['one byte', new Uint8Array([0x42])],
  ])('%s after the last stream is an error', async (_what, tail) => {
    await expectCorrupt(drainHashed(bunzip2(pieces(concatBytes([fixture('text.bz2'), tail])))), /after the last stream/);
  });

  test('input that is not bzip2, and empty input', async () => {
    await expectCorrupt(drainHashed(bunzip2(pieces(new TextEncoder().encode('hello world')))), /not bzip2/);
    await expectCorrupt(drainHashed(bunzip2(pieces(new Uint8Array(0)))), /empty/);
  });

  test('descriptor: bzip2 and pbzip2, portable', () => {
    const r = new Registry({ preferred: 'portable' }).use(bzip2Portable);
    expect(r.get('compressor', 'pbzip2')).toBe(r.get('compressor', 'bzip2'));
    expect(bzip2Portable.backend).toBe('portable');
  });
});
