import { expect, test } from '@jest/globals';
import { Registry, concatBytes } from '@qubes-backup/core';
import { MAX_WINDOW, parseFrameHeader, zstdPortable } from '@qubes-backup/codec-zstd';
import { decodeWholeFrames } from '../src/whole-frame.js';
import {
  describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, readSums, sha256hex as sha256,
} from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expectError = (p: Promise<unknown>, code: string, pattern: RegExp) => expectCode(p, code, /^zstd: /, pattern);
const corrupt = (p: Promise<unknown>, pattern = /./) => expectError(p, 'E_CORRUPT', pattern);
const skippable = new Uint8Array([0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);

describeCompressor(zstdPortable, {
  prefix: /^zstd: /, fixture, expected: readSums(fixture('sums.txt')),
  truncate: { fixture: 'text.zst', at: [1, 4, 5, 6, 8, 12, 13, 1000, 30_000, -5, -4, -1], pattern: /truncated/ },
  inputError: 'text.zst', abort: 'text.zst',
  bomb: { title: 'a 128 MiB bomb from ~4 kB streams in pieces of at most 128 KiB', input: () => fixture('zeros-128MiB.zst'), maxPiece: 128 * 1024 },
}, (unzstd) => {
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

  test('one piece with its output size (a Wyng or Borg chunk): zstd\'s own decoder, the same output and the same errors', async () => {
    const text = await drainHashed(unzstd(pieces(fixture('text.zst'))), true);
    for (const name of ['text.zst', 'mt.zst', 'frames.zst', 'random-nocheck.zst']) {
      const want = await drainHashed(unzstd(pieces(fixture(name))), true);
      const got = await drainHashed(unzstd((async function* () { yield fixture(name); })(), { outputSize: want.bytes!.length }), true);
      expect([name, got.sha256, got.pieces]).toEqual([name, want.sha256, want.bytes!.length ? 1 : 0]);
    }
    // A wrong size is only a hint: the output is still the data's own.
    const hinted = await drainHashed(unzstd((async function* () { yield fixture('text.zst'); })(), { outputSize: 1000 }), true);
    expect(hinted.sha256).toBe(text.sha256);
    const whole = (b: Uint8Array) => unzstd((async function* () { yield b; })(), { outputSize: text.bytes!.length });
    await corrupt(drainHashed(whole(flip(fixture('text.zst'), fixture('text.zst').length - 2))), /checksum mismatch/);
    await corrupt(drainHashed(whole(fixture('text.zst').subarray(0, 30_000))), /truncated/);
  });

  test('decodeWholeFrames: the output when it is exactly the size asked, undefined otherwise', async () => {
    const data = fixture('text.zst');
    const want = (await drainHashed(unzstd(pieces(data)), true)).bytes!;
    expect(sha256((await decodeWholeFrames(data, want.length))!)).toBe(sha256(want));
    expect(await decodeWholeFrames(data, want.length - 1)).toBeUndefined();
    expect(await decodeWholeFrames(data, want.length + 1)).toBeUndefined();
    expect(await decodeWholeFrames(flip(data, 25_000, 0x01), want.length)).toBeUndefined();
    expect(await decodeWholeFrames(new Uint8Array(0), 10)).toBeUndefined();
    expect(await decodeWholeFrames(data, 32 << 20)).toBeUndefined(); // too large for this path
  });

  test('descriptor: zstd and zstdmt, portable', () => {
    const r = new Registry().use(zstdPortable);
    expect(r.get('compressor', 'zstdmt')).toBe(r.get('compressor', 'zstd'));
  });
});
