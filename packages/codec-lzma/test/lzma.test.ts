import { describe, expect, test } from '@jest/globals';
import { AuthenticationError, Registry, concatBytes, type ByteStream } from '@qubes-backup/core';
import { lzmaPortable, parseLzmaHeader, unlzma } from '@qubes-backup/codec-lzma';
import { drainHashed, fixture, flip, liveArrayBuffers, pieces, rng, sums, type Split } from './helpers.js';

const expected = sums();

async function failure(p: Promise<unknown>): Promise<(Error & { code?: string }) | undefined> {
  return p.then(() => undefined, (err: unknown) => err as Error & { code?: string });
}
async function expectError(p: Promise<unknown>, code: string, pattern: RegExp = /./): Promise<void> {
  const e = await failure(p);
  expect(e).toBeInstanceOf(Error);
  expect(e!.code).toBe(code);
  expect(e!.message).toMatch(/^lzma: /);
  expect(e!.message).toMatch(pattern);
}

/** text.lzma with the header's "unknown" size replaced by `size` (the end marker stays). */
function withSize(size: number): Uint8Array {
  const d = fixture('text.lzma').slice();
  new DataView(d.buffer).setUint32(5, size, true);
  new DataView(d.buffer).setUint32(9, 0, true);
  return d;
}

describe('unlzma', () => {
  test.each([...expected.keys()])('%s decodes whole and at random splits', async (name) => {
    const want = expected.get(name)!;
    const splits: Split[] = name === 'small.lzma' || name === 'empty.lzma' ? ['whole', 'random', 'bytes'] : ['whole', 'random'];
    for (const split of splits) {
      const got = await drainHashed(unlzma(pieces(fixture(name), split, name.length)));
      expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
      expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    }
  });

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

  test.each([1, 12, 13, 14, 18, 100, 20_000, -6, -5, -1])('truncated to %i bytes (negative: from the end)', async (k) => {
    const data = fixture('text.lzma');
    const n = k < 0 ? data.length + k : k;
    await expectError(drainHashed(unlzma(pieces(data.subarray(0, n), 'random', n))), 'E_CORRUPT');
  });

  test('flipped bits never hang or escape as untyped errors (.lzma has no checksum)', async () => {
    const data = fixture('small.lzma');
    const r = rng(9);
    let rejected = 0;
    for (let i = 0; i < 40; i++) {
      const at = 13 + Math.floor(r() * (data.length - 13));
      const e = await failure(drainHashed(unlzma(pieces(flip(data, at, 1 << Math.floor(r() * 8))))));
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

  test('errors of the input stream pass through unchanged', async () => {
    const boom = new AuthenticationError('chunk 2: bad HMAC');
    async function* input(): ByteStream { yield fixture('text.lzma').subarray(0, 1000); throw boom; }
    await expect(drainHashed(unlzma(input()))).rejects.toBe(boom);
  });

  test('an aborted signal stops decoding', async () => {
    const ac = new AbortController();
    const it = unlzma(pieces(fixture('zeros-128MiB.lzma'), 'random'), { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('user stop'));
    await expect((async () => { for (;;) { const r = await it.next(); if (r.done) break; } })()).rejects.toThrow('user stop');
  });

  test('a 128 MiB bomb from ~19 kB streams in small pieces', async () => {
    let peak = 0, n = 0;
    const got = await drainHashed((async function* () {
      for await (const c of unlzma(pieces(fixture('zeros-128MiB.lzma')))) {
        if (++n % 64 === 0) peak = Math.max(peak, liveArrayBuffers());
        yield c;
      }
    })());
    expect(got.size).toBe(128 * 2 ** 20);
    expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    expect(peak).toBeLessThan(80 * 2 ** 20); // live memory after GC; the output is 128 MiB
  }, 30_000);

  test('descriptor: lzma, portable', () => {
    const r = new Registry().use(lzmaPortable);
    expect(r.get('compressor', 'lzma').info).toEqual({ kind: 'compressor', name: 'lzma', backend: 'portable' });
  });
});
