// The page's gzip decoder on Chromium's own DecompressionStream, which decodes one member per stream
// and refuses any byte after it (Node's, under codec-gzip's tests, is node:zlib and reads on): several
// members, member boundaries at and across piece boundaries, 1f 8b 08 inside deflate data, and each
// kind of damage. Expected sizes and digests come from node:zlib.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { findChromium, launch } from './chromium.js';
import { sha256 } from './page-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTML = join(ROOT, 'dist/qubes-backup.html');

const browserAt = findChromium();
const withBrowser = browserAt.path && existsSync(HTML) ? describe : describe.skip;

type Decoded = { size: number; sha256: string } | { error: string; message: string };

/** Seeded bytes (xorshift32): incompressible, so gzip stores them and 1f 8b 08 appears in the deflate data as is. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  // A gzip member's first bytes in the middle of the data: a decoder must not take them for a member's start.
  for (let i = 1000; i + 3 < n; i += 50_000) out.set([0x1f, 0x8b, 0x08, 0x00], i);
  return out;
}

const text = (n: number) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `line ${i} of a log\n`).join(''));
const cat = (parts: Uint8Array[]) => Buffer.concat(parts);
const want = (parts: Uint8Array[]) => { const all = cat(parts); return { size: all.length, sha256: sha256(all) }; };

withBrowser("the page's gzip decoder in Chromium (DecompressionStream)", () => {
  jest.setTimeout(60_000);
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launch(browserAt.path!);
    page = await browser.newPage();
    await page.goto(pathToFileURL(HTML).href);
  });
  afterAll(async () => { await browser?.close(); });

  // Handed over as base64: an array of numbers is slow to serialize.
  const decode = (input: Uint8Array, piece: number): Promise<Decoded> => page.evaluate(
    ([base64, n]) => (globalThis as unknown as { qubesBackupPage: { gunzip(b: Uint8Array, n: number): Promise<Decoded> } })
      .qubesBackupPage.gunzip(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)), n),
    [Buffer.from(input).toString('base64'), piece] as const,
  );

  const a = noise(200_000, 1);
  const b = text(5000);
  const c = noise(3000, 2);
  const members = [gzipSync(a, { level: 1 }), gzipSync(new Uint8Array(0)), gzipSync(b), gzipSync(c, { level: 9 })];
  const multi = cat(members);

  test('the page decodes gzip with DecompressionStream', async () => {
    expect(await page.evaluate(() => typeof DecompressionStream)).toBe('function');
  });

  test.each([1 << 20, 65_536, 4099, 7, 1])('four members (one empty) in pieces of %i bytes', async (piece) => {
    const input = piece < 100 ? cat([gzipSync(b.subarray(0, 2000)), gzipSync(new Uint8Array(0)), gzipSync(c.subarray(0, 500))]) : multi;
    const parts = piece < 100 ? [b.subarray(0, 2000), c.subarray(0, 500)] : [a, b, c];
    expect(await decode(input, piece)).toEqual(want(parts));
  });

  test('highly compressible members: more output per write than the decoder reads ahead', async () => {
    const zeros = new Uint8Array(24 << 20);
    const input = cat([gzipSync(zeros, { level: 9 }), gzipSync(b), gzipSync(zeros.subarray(0, 5 << 20))]);
    expect(await decode(input, 1 << 20)).toEqual(want([zeros, b, zeros.subarray(0, 5 << 20)]));
  });

  test('a member boundary exactly at a piece boundary, and one inside the magic bytes', async () => {
    const first = members[0]!.length;
    for (const piece of [first, first + 1, first + 2]) {
      expect(await decode(cat([members[0]!, members[2]!]), piece)).toEqual(want([a, b]));
    }
  });

  test.each([
    ['bytes after the last member', () => cat([members[2]!, Buffer.from('garbage!')]), /gzip: .*bytes after the end of member 1/],
    ['zero bytes after the last member', () => cat([members[2]!, new Uint8Array(16)]), /gzip: .*member 1/],
    ['a truncated member', () => multi.subarray(0, multi.length - 5), /gzip: truncated input/],
    ['a truncated second member', () => cat([members[2]!, members[0]!.subarray(0, 5000)]), /gzip: truncated input .*member 2/],
    ['a flipped CRC-32', () => { const m = Buffer.from(members[2]!); m[m.length - 7]! ^= 1; return cat([m, members[3]!]); }, /gzip: member 1: /],
    ['a flipped bit in the deflate data', () => { const m = Buffer.from(members[2]!); m[500]! ^= 0x10; return m; }, /gzip: member 1: /],
    ['a bad second header', () => cat([members[2]!, Buffer.from([0x1f, 0x8b, 0x08, 0xe0, 0, 0, 0, 0, 0, 3]), members[3]!.subarray(10)]), /gzip: member 2: /],
  ])('%s is an error naming the member', async (_what, input, message) => {
    for (const piece of [65_536, 333]) {
      const got = await decode(input(), piece);
      expect(got).toEqual({ error: 'E_CORRUPT', message: expect.stringMatching(message) });
    }
  });

  test('empty input is an error', async () => {
    expect(await decode(new Uint8Array(0), 100)).toEqual({ error: 'E_CORRUPT', message: 'gzip: empty input' });
  });
});
