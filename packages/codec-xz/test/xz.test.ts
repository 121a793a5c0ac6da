import { expect, test } from '@jest/globals';
import { Registry, concatBytes } from '@qubes-backup/core';
import { xzPortable } from '@qubes-backup/codec-xz';
import { describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, readSums } from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expected = readSums(fixture('sums.txt'));
const expectError = (p: Promise<unknown>, code: string, pattern: RegExp) => expectCode(p, code, /^xz: /, pattern);

describeCompressor(xzPortable, {
  prefix: /^xz: /, fixture, expected, byteByByte: ['blocks.xz', 'empty.xz'],
  truncate: { fixture: 'text.xz', at: [1, 6, 12, 13, 100, 20_000, -13, -12, -1] },
  inputError: 'text.xz',
  bomb: { title: 'a 128 MiB bomb from ~20 kB streams in small pieces', input: () => fixture('zeros-128MiB.xz') },
}, (unxz) => {
  test('truncation in the middle of the data says so', async () => {
    await expectError(drainHashed(unxz(pieces(fixture('text.xz').subarray(0, 20_000)))), 'E_CORRUPT', /truncated/);
  });

  test.each([
    ['the compressed data', 'text.xz', 20_000],
    ['the check, index or footer area', 'text.xz', -40],
    ['a block of a multi-block stream', 'blocks.xz', 30_000],
    ['the last bytes of a CRC32 stream', 'crc32.xz', -40],
  ])('a flipped bit in %s', async (_what, name, k) => {
    const data = fixture(name);
    const at = k < 0 ? data.length + k : k;
    await expectError(drainHashed(unxz(pieces(flip(data, at, 0x01)))), 'E_CORRUPT', /./);
  });

  test('a flipped bit in CRC-checked data is reported as a check mismatch', async () => {
    await expectError(drainHashed(unxz(pieces(flip(fixture('crc32.xz'), 30_000, 0x01)))), 'E_CORRUPT', /corrupt/);
  });

  test('SHA-256 checks and 192 MiB dictionaries are unsupported, with clear messages', async () => {
    await expectError(drainHashed(unxz(pieces(fixture('sha256.xz')))), 'E_UNSUPPORTED', /SHA-256/);
    await expectError(drainHashed(unxz(pieces(fixture('dict192.xz')))), 'E_UNSUPPORTED', /dictionary larger than the decoder's memory limit/);
  });

  test('.lzma, garbage and empty input are corrupt', async () => {
    await expectError(drainHashed(unxz(pieces(fixture('random.lzma')))), 'E_CORRUPT', /lzma/);
    await expectError(drainHashed(unxz(pieces(new TextEncoder().encode('hello world, not xz')))), 'E_CORRUPT', /not xz/);
    await expectError(drainHashed(unxz(pieces(new Uint8Array(0)))), 'E_CORRUPT', /empty/);
    await expectError(drainHashed(unxz(pieces(concatBytes([fixture('text.xz'), new TextEncoder().encode('garbage!')])))), 'E_CORRUPT', /./);
  });

  test('padding that is not a multiple of 4 is refused', async () => {
    await expectError(drainHashed(unxz(pieces(concatBytes([fixture('text.xz'), new Uint8Array(3)])))), 'E_CORRUPT', /./);
  });

  test('stopping early (return or abort) releases the decoder for the next stream', async () => {
    for await (const piece of unxz(pieces(fixture('text.xz'), 'random'))) { expect(piece.length).toBeGreaterThan(0); break; }
    const ac = new AbortController();
    const it = unxz(pieces(fixture('blocks.xz'), 'random'), { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('user stop'));
    await expect((async () => { for (;;) { const r = await it.next(); if (r.done) break; } })()).rejects.toThrow('user stop');
    // Would hang on the decoder's lock if either of the above had kept it.
    const got = await drainHashed(unxz(pieces(fixture('text.xz'))));
    expect(got.sha256).toBe(expected.get('text.xz')!.sha256);
  });

  test('descriptor: xz, portable', () => {
    const r = new Registry().use(xzPortable);
    expect(r.get('compressor', 'XZ').info).toEqual({ kind: 'compressor', name: 'xz', backend: 'portable' });
  });
});
