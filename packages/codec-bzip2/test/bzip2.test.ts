import { describe, expect, test } from '@jest/globals';
import { AuthenticationError, Registry, concatBytes, type ByteStream } from '@qubes-backup/core';
import { bunzip2, bzip2Portable } from '@qubes-backup/codec-bzip2';
import { drainHashed, fixture, flip, liveArrayBuffers, pieces, sums, type Split } from './helpers.js';

const expected = sums();

async function expectCorrupt(p: Promise<unknown>, pattern?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(Error);
  expect((e as { code?: string }).code).toBe('E_CORRUPT');
  expect((e as Error).message).toMatch(/^bzip2: /);
  if (pattern) expect((e as Error).message).toMatch(pattern);
}

describe('bunzip2', () => {
  test.each([...expected.keys()])('%s decodes whole, at random splits (and small ones byte by byte)', async (name) => {
    const want = expected.get(name)!;
    const splits: Split[] = ['pbzip2.bz2', 'empty.bz2'].includes(name) ? ['whole', 'random', 'bytes'] : ['whole', 'random'];
    for (const split of splits) {
      const got = await drainHashed(bunzip2(pieces(fixture(name), split, name.length)));
      expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
      expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    }
  });

  test.each([1, 3, 4, 10, 1000, 30_000, -11, -5, -1])('truncated to %i bytes (negative: from the end)', async (k) => {
    const data = fixture('text-1.bz2');
    const n = k < 0 ? data.length + k : k;
    await expectCorrupt(drainHashed(bunzip2(pieces(data.subarray(0, n), 'random', n))));
  });

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

  test('errors of the input stream pass through unchanged', async () => {
    const boom = new AuthenticationError('chunk 2: bad HMAC');
    async function* input(): ByteStream { yield fixture('text-1.bz2').subarray(0, 1000); throw boom; }
    await expect(drainHashed(bunzip2(input()))).rejects.toBe(boom);
  });

  test('an aborted signal stops decoding', async () => {
    const ac = new AbortController();
    const it = bunzip2(pieces(fixture('text-1.bz2'), 'random'), { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('user stop'));
    await expect((async () => { for (;;) { const r = await it.next(); if (r.done) break; } })()).rejects.toThrow('user stop');
  });

  test('a 128 MiB bomb from 112 bytes streams in pieces of at most 1 MiB', async () => {
    const bomb = fixture('zeros-128MiB.bz2');
    let peak = 0, n = 0;
    const got = await drainHashed((async function* () {
      for await (const c of bunzip2(pieces(bomb))) {
        if (++n % 16 === 0) peak = Math.max(peak, liveArrayBuffers());
        yield c;
      }
    })());
    expect(got.size).toBe(128 * 2 ** 20);
    expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    // One 900 kB block of runs decodes to ~46 MB, held until the block is done: bounded, not 128 MiB.
    expect(peak).toBeLessThan(80 * 2 ** 20); // live memory after GC; the output is 128 MiB
  }, 30_000);

  test('descriptor: bzip2 and pbzip2, portable', () => {
    const r = new Registry({ preferred: 'portable' }).use(bzip2Portable);
    expect(r.get('compressor', 'pbzip2')).toBe(r.get('compressor', 'bzip2'));
    expect(bzip2Portable.backend).toBe('portable');
  });
});
