import { describe, expect, test } from '@jest/globals';
import { AuthenticationError, type ByteStream, type Compressor, type PluginDescriptor } from '@qubes-backup/core';
import { drainHashed } from './collect.js';
import { expectCode } from './errors.js';
import type { Sum } from './fixtures.js';
import { liveArrayBuffers } from './memory.js';
import { pieces, type Split } from './split.js';

/** What one codec package feeds the shared compressor tests. */
export interface CompressorCases {
  /** Every error message of this codec starts with it, e.g. `/^gzip: /`. */
  prefix: RegExp;
  fixture: (name: string) => Uint8Array;
  /** Fixture name → size and sha256 of its decompressed content (the package's sums.txt). */
  expected: ReadonlyMap<string, Sum>;
  /** Fixtures small enough to be fed one byte at a time as well. */
  byteByByte?: readonly string[];
  /** Cut `fixture` to each length of `at` (negative: from the end): E_CORRUPT matching `pattern`. */
  truncate: { fixture: string; at: readonly number[]; pattern?: RegExp };
  /** Its first 1000 bytes, then an input error that must come out unchanged. */
  inputError: string;
  /** Fed at random splits, aborted after the first piece (leave out to test abort yourself). */
  abort?: string;
  /** A 128 MiB decompression bomb: streamed in pieces of at most `maxPiece`, with bounded live memory. */
  bomb: {
    title: string;
    input: () => Uint8Array | Promise<Uint8Array>;
    /** The bomb itself must be smaller than this. */
    maxInput?: number;
    split?: Split;
    /** Live memory is sampled every this many output pieces (a full GC each time). */
    sampleEvery?: number;
    maxPiece?: number;
    /** Live memory allowed while decoding the bomb (default 80 MiB; the output is 128 MiB). */
    maxLive?: number;
  };
}

/**
 * The Compressor conformance tests in a `describe` named after the descriptor and its backend;
 * `more(decompress)` adds the package's own tests to the same block.
 */
export function describeCompressor(
  descriptor: PluginDescriptor<'compressor'>,
  cases: CompressorCases,
  more?: (decompress: Compressor['decompress']) => void,
): void {
  const { fixture, expected, prefix } = cases;
  describe(`${descriptor.name} (${descriptor.backend})`, () => {
    const codec = descriptor.create();
    const decompress = (data: ByteStream, opts?: Parameters<Compressor['decompress']>[1]): ByteStream => codec.decompress(data, opts);

    test.each([...expected.keys()])('%s decodes whole, at random splits (and small ones byte by byte)', async (name) => {
      const want = expected.get(name)!;
      const splits: Split[] = cases.byteByByte?.includes(name) ? ['whole', 'random', 'bytes'] : ['whole', 'random'];
      for (const split of splits) {
        const got = await drainHashed(decompress(pieces(fixture(name), split, name.length)));
        expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
        expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
      }
    });

    test.each([...cases.truncate.at])('truncated to %i bytes (negative: from the end)', async (k) => {
      const data = fixture(cases.truncate.fixture);
      const n = k < 0 ? data.length + k : k;
      await expectCode(drainHashed(decompress(pieces(data.subarray(0, n), 'random', n))), 'E_CORRUPT', prefix, cases.truncate.pattern ?? /./);
    });

    test('errors of the input stream pass through unchanged', async () => {
      const boom = new AuthenticationError('chunk 2: bad HMAC');
      async function* input(): ByteStream { yield fixture(cases.inputError).subarray(0, 1000); throw boom; }
      await expect(drainHashed(decompress(input()))).rejects.toBe(boom);
    });

    if (cases.abort !== undefined) {
      const name = cases.abort;
      test('an aborted signal stops decoding', async () => {
        const ac = new AbortController();
        const it = decompress(pieces(fixture(name), 'random'), { signal: ac.signal })[Symbol.asyncIterator]();
        await it.next();
        ac.abort(new Error('user stop'));
        await expect((async () => { for (;;) { const r = await it.next(); if (r.done) break; } })()).rejects.toThrow('user stop');
      });
    }

    const b = cases.bomb;
    test(b.title, async () => {
      const bomb = await b.input();
      if (b.maxInput !== undefined) expect(bomb.length).toBeLessThan(b.maxInput);
      const every = b.sampleEvery ?? 64;
      // Counted from what is live before decoding: a Jest worker process also holds other test files' buffers.
      const before = liveArrayBuffers();
      let peak = 0, n = 0;
      const got = await drainHashed((async function* () {
        for await (const c of decompress(pieces(bomb, b.split ?? 'whole'))) {
          if (++n % every === 0) peak = Math.max(peak, liveArrayBuffers() - before);
          yield c;
        }
      })());
      expect(got.size).toBe(128 * 2 ** 20);
      expect(got.maxPiece).toBeLessThanOrEqual(b.maxPiece ?? 1 << 20);
      expect(peak).toBeLessThan(b.maxLive ?? 80 * 2 ** 20); // live memory after GC; the output is 128 MiB
      // A memory test, not a timed one: 1.2-4 s alone, but a fresh-clone CI run on 2 busy cores once took over 30 s.
    }, 180_000);

    more?.(decompress);
  });
}
