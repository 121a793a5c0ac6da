import { describe, expect, test } from '@jest/globals';
import { AuthenticationError, Registry, concatBytes, type ByteStream } from '@qubes-backup/core';
import { MAX_WINDOW, parseFrameHeader, unzstd, zstdPortable } from '@qubes-backup/codec-zstd';
import { drainHashed, fixture, flip, liveArrayBuffers, pieces, sha256, sums, type Split } from './helpers.js';

const expected = sums();

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err) as Error & { code?: string };
  expect(e).toBeInstanceOf(Error);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(/^zstd: /);
  expect(e.message).toMatch(pattern);
}
const corrupt = (p: Promise<unknown>, pattern: RegExp = /./): Promise<void> => expectError(p, 'E_CORRUPT', pattern);
const skippable = new Uint8Array([0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

describe('unzstd', () => {
  test.each([...expected.keys()])('%s decodes whole and at random splits', async (name) => {
    const want = expected.get(name)!;
    for (const split of ['whole', 'random'] as Split[]) {
      const got = await drainHashed(unzstd(pieces(fixture(name), split, name.length)));
      expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
      expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    }
  });

  test('frames and skippable frames fed one byte at a time', async () => {
    const small = fixture('small.zst');
    const input = concatBytes([skippable, small, fixture('empty.zst'), skippable, small]);
    const one = await drainHashed(unzstd(pieces(small)), true);
    const got = await drainHashed(unzstd(pieces(input, 'bytes')));
    expect(got.sha256).toBe(sha256(concatBytes([one.bytes!, one.bytes!])));
  });

  test('a --long=27 frame is refused, naming its window, before any output', async () => {
    let pieces_ = 0;
    const p = (async () => { for await (const _ of unzstd(pieces(fixture('long27.zst')))) pieces_++; })();
    await expectError(p, 'E_UNSUPPORTED', /window of 128 MiB/);
    expect(pieces_).toBe(0);
  });

  test('the window limit sits just under 64 MiB', () => {
    const header = (wd: number): Uint8Array => new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x04, wd]);
    expect(parseFrameHeader(header((15 << 3) | 7)).windowSize).toBe(60 * 2 ** 20); // 2^25 × 1.875
    expect(() => parseFrameHeader(header(16 << 3))).toThrow(/64 MiB/);
    expect(MAX_WINDOW).toBeLessThan(64 * 2 ** 20);
  });

  const textLength = fixture('text.zst').length;
  test.each([1, 4, 5, 6, 8, 12, 13, 1000, 30_000, -5, -4, -1])('truncated to %i bytes (negative: from the end)', async (k) => {
    const data = fixture('text.zst');
    const n = k < 0 ? textLength + k : k;
    await corrupt(drainHashed(unzstd(pieces(data.subarray(0, n), 'random', n))), /truncated/);
  });

  test('a flipped bit in the data or in the checksum', async () => {
    const textLength = fixture('text.zst').length;
    await corrupt(drainHashed(unzstd(pieces(flip(fixture('text.zst'), 25_000, 0x01)))));
    await corrupt(drainHashed(unzstd(pieces(flip(fixture('text.zst'), textLength - 2)))), /checksum mismatch/);
    const mt = fixture('mt.zst');
    await corrupt(drainHashed(unzstd(pieces(flip(mt, mt.length - 1)))), /checksum mismatch/);
  });

  test('a wrong content size in the header', async () => {
    const data = fixture('text.zst').slice();
    expect(data[4]).toBe(0xa4); // single segment, 4-byte content size, checksum
    data[5] = data[5]! + 1;
    await corrupt(drainHashed(unzstd(pieces(data))), /content size mismatch/);
  });

  test('reserved bits, reserved block types and oversized blocks', async () => {
    const reserved = fixture('small.zst').slice();
    reserved[4] = reserved[4]! | 0x08;
    await corrupt(drainHashed(unzstd(pieces(reserved))), /reserved bit/);
    // frame: no checksum, window 1 KiB; then a block header of type 3, then one of 2 KiB
    const head = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00];
    await corrupt(drainHashed(unzstd(pieces(new Uint8Array([...head, 0x07, 0, 0])))), /reserved block type/);
    const big = (2048 << 3) | 1; // raw, last, 2048 bytes > 1 KiB window
    await corrupt(drainHashed(unzstd(pieces(new Uint8Array([...head, big & 0xff, (big >> 8) & 0xff, big >> 16, ...new Uint8Array(2048)])))), /exceeds/);
  });

  test('frames that need a dictionary are unsupported', async () => {
    await expectError(drainHashed(unzstd(pieces(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x00, 0x05, 1, 0, 0])))), 'E_UNSUPPORTED', /dictionary 5/);
  });

  test('garbage after the last frame, foreign data, empty input', async () => {
    await corrupt(drainHashed(unzstd(pieces(concatBytes([fixture('small.zst'), new TextEncoder().encode('garbage!')])))), /garbage after the last frame/);
    await corrupt(drainHashed(unzstd(pieces(concatBytes([fixture('small.zst'), new Uint8Array(2)])))), /garbage/);
    await corrupt(drainHashed(unzstd(pieces(new TextEncoder().encode('hello, not zstd')))), /not zstd/);
    await corrupt(drainHashed(unzstd(pieces(new Uint8Array(0)))), /empty/);
  });

  test('errors of the input stream pass through unchanged', async () => {
    const boom = new AuthenticationError('chunk 2: bad HMAC');
    async function* input(): ByteStream { yield fixture('text.zst').subarray(0, 1000); throw boom; }
    await expect(drainHashed(unzstd(input()))).rejects.toBe(boom);
  });

  test('an aborted signal stops decoding', async () => {
    const ac = new AbortController();
    const it = unzstd(pieces(fixture('text.zst'), 'random'), { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('user stop'));
    await expect((async () => { for (;;) { const r = await it.next(); if (r.done) break; } })()).rejects.toThrow('user stop');
  });

  test('a 128 MiB bomb from ~4 kB streams in pieces of at most 128 KiB', async () => {
    let peak = 0, n = 0;
    const got = await drainHashed((async function* () {
      for await (const c of unzstd(pieces(fixture('zeros-128MiB.zst')))) {
        if (++n % 64 === 0) peak = Math.max(peak, liveArrayBuffers());
        yield c;
      }
    })());
    expect(got.size).toBe(128 * 2 ** 20);
    expect(got.maxPiece).toBeLessThanOrEqual(128 * 1024);
    expect(peak).toBeLessThan(80 * 2 ** 20); // live memory after GC; the output is 128 MiB
  }, 30_000);

  test('descriptor: zstd and zstdmt, portable', () => {
    const r = new Registry().use(zstdPortable);
    expect(r.get('compressor', 'zstdmt')).toBe(r.get('compressor', 'zstd'));
  });
});
