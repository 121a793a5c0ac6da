import { describe, expect, test } from '@jest/globals';
import { Registry, concatBytes } from '@qubes-backup/core';
import { DEFAULT_MAX_OUTPUT, lz4BlockDecode, lz4Portable } from '@qubes-backup/codec-lz4';
import {
  describeCompressor, drainHashed, expectCode, fixtureReader, pieces, readSums, sha256hex as sha256, split,
} from '@qubes-backup/testkit';
import { assemble, lengthBytes, readBlock, zerosBlock, type Sequence } from './blocks.js';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expected = readSums(fixture('sums.txt'));
const expectCorrupt = (p: Promise<unknown>, pattern = /./) => expectCode(p, 'E_CORRUPT', /^lz4: /, pattern);
const decode = (block: Uint8Array, maxOutput?: number) =>
  drainHashed(lz4BlockDecode(pieces(block), maxOutput === undefined ? {} : { maxOutput }), true);
const bytes = (s: string) => new TextEncoder().encode(s);

describeCompressor(lz4Portable, {
  prefix: /^lz4: /, fixture, expected,
  byteByByte: ['zeros.lz4', 'runs.lz4', 'empty.lz4', 'tiny.lz4'],
  // A block has no end marker: cut right after a run of literals it is a shorter valid block. These
  // cuts land inside a length, literals, an offset or after a match (checked with liblz4 too).
  truncate: { fixture: 'text.lz4', at: [1, 3, 4, 100, 1000, 40_000, -1, -2, -3, -100], pattern: /truncated/ },
  inputError: 'text.lz4', abort: 'long-lengths.lz4',
  bomb: { title: 'a 128 MiB bomb from a ~526 kB block streams in 1 MiB pieces', input: () => zerosBlock(128 * 2 ** 20), maxInput: 540_000, split: 'random' },
}, (decompress) => {
  test('output pieces are at most 1 MiB and at least 1 MiB until the last one', async () => {
    const sizes: number[] = [];
    for await (const c of decompress(pieces(fixture('long-lengths.lz4'), 'random'))) sizes.push(c.length);
    expect(sizes.slice(0, -1).every((n) => n === 2 ** 20)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(expected.get('long-lengths.lz4')!.size);
  });

  test('pieces at unaligned byte offsets, cut at every size from 1 to 97', async () => {
    const want = expected.get('runs.lz4')!;
    const sizes = Array.from({ length: 97 }, (_, k) => k + 1);
    const got = await drainHashed(decompress(split(fixture('runs.lz4'), sizes, 3)));
    expect({ size: got.size, sha256: got.sha256 }).toEqual(want);
  });

  test('pieces handed out are never written again', async () => {
    const kept: Uint8Array[] = [];
    for await (const c of decompress(pieces(fixture('long-lengths.lz4'), 'random', 5))) kept.push(c);
    expect(sha256(concatBytes(kept))).toBe(expected.get('long-lengths.lz4')!.sha256);
  });
});

describe('lz4 block format', () => {
  test('overlapping matches: offsets 1, 2 and 3 repeat the last bytes', async () => {
    const block = assemble([
      { literals: bytes('a'), match: { offset: 1, length: 40 } },
      { literals: bytes('xy'), match: { offset: 2, length: 7 } },
      { literals: bytes('123'), match: { offset: 3, length: 100 } },
      { literals: bytes('.....') },
    ]);
    const want = 'a'.repeat(41) + 'xyxyxyxyx' + '123'.repeat(35).slice(0, 103) + '.....';
    expect(new TextDecoder().decode((await decode(block)).bytes)).toBe(want);
  });

  test('a match may reach back the full 65 535 bytes, across output pieces', async () => {
    const head = Uint8Array.from({ length: 65_535 }, (_, k) => (k * 7) % 251);
    const block = assemble([
      { literals: head, match: { offset: 65_535, length: 2 ** 20 + 1000 } },
      { literals: [1, 2, 3, 4, 5] },
    ]);
    const got = await decode(block);
    const out = got.bytes!;
    expect(out.length).toBe(65_535 + 2 ** 20 + 1000 + 5);
    for (const k of [65_535, 65_536, 2 ** 20, 2 ** 20 + 50_000, 65_535 + 2 ** 20 + 999]) expect(out[k]).toBe(head[k % 65_535]);
  });

  test('short sequences (the fast path) across output pieces and input cuts', async () => {
    const seqs: Sequence[] = [];
    for (let k = 0; k < 100_000; k++) seqs.push({ literals: [k & 0xff, (k >> 8) & 0xff, k % 7], match: { offset: 1 + (k % 40), length: 4 + (k % 15) } });
    seqs.push({ literals: bytes('.....') });
    const block = assemble(seqs);
    const want = readBlock(block)!.output;
    expect(want.length).toBeGreaterThan(1.1 * 2 ** 20);
    for (const split_ of ['whole', 'random'] as const) {
      const got = await drainHashed(lz4BlockDecode(pieces(block, split_, 9)));
      expect({ size: got.size, sha256: got.sha256 }).toEqual({ size: want.length, sha256: sha256(want) });
    }
  });

  test('lengths of exactly 15, 15 + 255 and 15 + 255 + 254 (one, two and three length bytes)', async () => {
    for (const n of [15, 270, 524]) {
      const lit = Uint8Array.from({ length: n }, (_, k) => k & 0xff);
      const block = assemble([{ literals: lit, match: { offset: 1, length: n + 4 } }, { literals: lit.subarray(0, 5) }]);
      expect(block.length).toBe(1 + lengthBytes(n - 15).length + n + 2 + lengthBytes(n - 15).length + 1 + 5);
      const out = (await decode(block)).bytes!;
      expect(out.length).toBe(n + n + 4 + 5);
      expect(out[n + 5]).toBe(lit[n - 1]);
    }
  });

  test('the empty block is one byte 0x00; empty input is an error', async () => {
    expect((await decode(new Uint8Array([0]))).size).toBe(0);
    await expectCorrupt(decode(new Uint8Array(0)), /empty input/);
  });

  test('offset 0 is refused (liblz4 1.9.4 accepts it and copies stale buffer bytes)', async () => {
    await expectCorrupt(decode(Uint8Array.from([0x10, 0x61, 0, 0, 0x50, 1, 2, 3, 4, 5])), /offset 0/);
  });

  test('an offset reaching before the first output byte is refused', async () => {
    await expectCorrupt(decode(Uint8Array.from([0x10, 0x61, 2, 0, 0x50, 1, 2, 3, 4, 5])), /offset 2 reaches before the start of the output \(1 bytes/);
    await expectCorrupt(decode(Uint8Array.from([0x00, 1, 0, 0x50, 1, 2, 3, 4, 5])), /offset 1 reaches before/);
  });

  test.each([
    ['after a match', [0x10, 0x61, 1, 0], /ends with a match/],
    ['inside a literal length', [0xf0, 255, 255], /inside a literal length/],
    ['inside literals', [0x50, 1, 2], /3 literal bytes missing/],
    ['inside an offset', [0x10, 0x61, 1], /inside a match offset/],
    ['inside a match length', [0x1f, 0x61, 1, 0, 255], /inside a match length/],
  ])('truncated %s', async (_where, block, pattern) => {
    for (const split_ of ['whole', 'bytes'] as const) {
      await expectCorrupt(drainHashed(lz4BlockDecode(pieces(Uint8Array.from(block), split_))), pattern);
    }
  });

  test('cut right after a run of literals, a block is a valid shorter block (no end marker to miss)', async () => {
    // So truncation at such a point is not detectable here: Borg checks each chunk's id/MAC over the output.
    const block = assemble([{ literals: bytes('hello'), match: { offset: 5, length: 10 } }, { literals: bytes('world') }]);
    expect(new TextDecoder().decode((await decode(block.subarray(0, 6))).bytes)).toBe('hello');
  });

  test('bytes after a block cannot be told from more sequences: they decode on or fail', async () => {
    // Appended bytes turn the last run of literals into a sequence with a match: here a valid one.
    const block = assemble([{ literals: bytes('hello') }]);
    const longer = concatBytes([block, Uint8Array.from([5, 0, 0x80]), bytes('abcdefgh')]);
    expect(new TextDecoder().decode((await decode(longer)).bytes)).toBe('hellohellabcdefgh');
    await expectCorrupt(decode(concatBytes([block, bytes('junk')])), /offset 30058 reaches before/);
  });

  test.each([
    ['4 last literals', 20, 4, /then 4 literals/],
    ['a last match starting 11 bytes before the end', 2, 5, /last match at 2, then 5 literals, output 13 bytes/],
    ['a match in a block under 13 bytes', 0, 5, /last match at 2, then 5 literals, output 11 bytes/],
  ])('end-of-block rules are enforced: %s', async (_what, extra, last, pattern) => {
    const block = assemble([
      { literals: bytes('ab'), match: { offset: 2, length: 4 + extra } },
      { literals: bytes('0123456789').subarray(0, last) },
    ]);
    await expectCorrupt(decode(block), pattern);
  });

  test('end-of-block rules: the tightest valid end decodes', async () => {
    // Last match ends 5 bytes before the end and starts exactly 12 before it.
    const block = assemble([{ literals: bytes('abcdefgh'), match: { offset: 8, length: 7 } }, { literals: bytes('12345') }]);
    expect(new TextDecoder().decode((await decode(block)).bytes)).toBe('abcdefghabcdefg12345');
  });
});

describe('output limit', () => {
  test('a block producing exactly maxOutput decodes; one byte more is refused', async () => {
    const block = zerosBlock(100_000);
    expect((await decode(block, 100_000)).size).toBe(100_000);
    await expectCorrupt(decode(block, 99_999), /a run of literals of 5 bytes would take the output past its limit of 99999 bytes \(99995 so far\)/);
  });

  test('a match past the limit is refused before any of it is produced', async () => {
    const got: number[] = [];
    const p = (async () => { for await (const c of lz4BlockDecode(pieces(zerosBlock(5 * 2 ** 20)), { maxOutput: 4 * 2 ** 20 })) got.push(c.length); })();
    await expectCorrupt(p, /a match of 5242874 bytes would take the output past its limit of 4194304 bytes \(1 so far\)/);
    expect(got).toEqual([]);
  });

  test('a run of length bytes is refused while it is still being read', async () => {
    const head = Uint8Array.from([0x1f, 0, 1, 0, ...new Uint8Array(1000).fill(255)]);
    let pulled = 0;
    async function* input() {
      yield head;
      for (;;) { pulled++; yield new Uint8Array(1 << 20).fill(255); }
    }
    await expectCorrupt(drainHashed(lz4BlockDecode(input(), { maxOutput: 2 ** 20 })), /past its limit/);
    expect(pulled).toBeLessThanOrEqual(1);
  });

  test('literal runs count too', async () => {
    const block = assemble([{ literals: new Uint8Array(600) }]);
    await expectCorrupt(decode(block, 599), /a run of literals of 600 bytes/);
    expect((await decode(block, 600)).size).toBe(600);
  });

  test('the default is 128 MiB: Borg 1.x decodes every block up to that size, and ours stop there', async () => {
    expect(DEFAULT_MAX_OUTPUT).toBe(128 * 2 ** 20);
    // The shared suite's bomb is exactly 128 MiB and decodes; one byte more does not.
    await expectCorrupt(drainHashed(lz4BlockDecode(pieces(zerosBlock(128 * 2 ** 20 + 1)))), /past its limit of 134217728 bytes/);
  }, 30_000);
});

describe('outputSize (a Borg chunk list gives each chunk\'s size)', () => {
  const sized = async (name: string, outputSize: number) => {
    const got: Uint8Array[] = [];
    for await (const c of lz4BlockDecode(pieces(fixture(name), 'random', 7), { outputSize })) got.push(c);
    return got;
  };

  test('the exact size: the whole block in one piece, the buffer itself (no copy)', async () => {
    for (const name of ['text.lz4', 'long-lengths.lz4', 'mixed-1MiB.lz4', 'tiny.lz4']) {
      const want = expected.get(name)!;
      const got = await sized(name, want.size);
      expect(got).toHaveLength(1);
      expect(got[0]!.byteOffset).toBe(0);
      expect(got[0]!.buffer.byteLength).toBe(want.size);
      expect(sha256(got[0]!)).toBe(want.sha256);
    }
  });

  test('a wrong size is only a hint: too small or too large, the output is the same', async () => {
    for (const name of ['text.lz4', 'long-lengths.lz4', 'runs.lz4']) {
      const want = expected.get(name)!;
      // Too small: matches reach back from later buffers into the first one's bytes.
      for (const n of [1, 100, 65_535, 65_537, want.size - 1, want.size + 1, want.size * 2]) {
        const got = await sized(name, n);
        expect({ n, sha256: sha256(concatBytes(got)) }).toEqual({ n, sha256: want.sha256 });
        expect(got.slice(1).every((c) => c.length <= 2 ** 20)).toBe(true);
      }
    }
  });

  test('a piece ending exactly where a buffer fills goes on in a fresh buffer (literals, or a match, still to come)', async () => {
    const literals = Uint8Array.from({ length: 2 << 20 }, (_, k) => (k * 2654435761) >>> 24);
    const tail = literals.subarray(0, 20);
    const block = assemble([{ literals, match: { offset: 1000, length: 1 << 20 } }, { literals: tail }]);
    const first = 1 + lengthBytes(literals.length - 15).length; // where the literals start
    const want = readBlock(block)!.output;
    // Cut where 1 MiB of literals has been read (inside them), and where all 2 MiB have (a match follows).
    for (const cut of [first + (1 << 20), first + (2 << 20)]) {
      for (const outputSize of [undefined, 1 << 20, 2 << 20, want.length]) {
        async function* input() { yield block.subarray(0, cut); yield block.subarray(cut); }
        const got = await drainHashed(lz4BlockDecode(input(), outputSize === undefined ? {} : { outputSize }), true);
        expect({ cut, outputSize, sha256: sha256(got.bytes!) }).toEqual({ cut, outputSize, sha256: sha256(want) });
      }
    }
  });

  test('it never lifts maxOutput', async () => {
    await expectCorrupt(drainHashed(lz4BlockDecode(pieces(zerosBlock(100_000)), { maxOutput: 99_999, outputSize: 100_000 })), /past its limit of 99999/);
    expect(() => lz4BlockDecode(pieces(new Uint8Array(1)), { outputSize: -1 })).toThrow(RangeError);
  });
});

describe('arguments and registry', () => {
  test('lz4BlockDecode checks its arguments when called', () => {
    expect(() => lz4BlockDecode(new Uint8Array(1) as never)).toThrow(TypeError);
    expect(() => lz4BlockDecode(null as never)).toThrow(TypeError);
    expect(() => lz4BlockDecode(pieces(new Uint8Array(1)), { maxOutput: -1 })).toThrow(RangeError);
    expect(() => lz4BlockDecode(pieces(new Uint8Array(1)), { maxOutput: 1.5 })).toThrow(TypeError);
  });

  test('input pieces must be Uint8Array', async () => {
    async function* bad() { yield 'text' as unknown as Uint8Array; }
    await expect(drainHashed(lz4BlockDecode(bad()))).rejects.toThrow(TypeError);
  });

  test('an already aborted signal stops before reading', async () => {
    let pulled = false;
    async function* input() { pulled = true; yield new Uint8Array([0]); }
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(drainHashed(lz4BlockDecode(input(), { signal: ac.signal }))).rejects.toThrow('stop');
    expect(pulled).toBe(false);
  });

  test('descriptor: lz4, portable', async () => {
    const r = new Registry().use(lz4Portable);
    const codec = r.get('compressor', 'LZ4');
    expect(codec.info).toEqual({ kind: 'compressor', name: 'lz4', backend: 'portable' });
    expect((await drainHashed(codec.decompress(pieces(fixture('tiny.lz4'))))).sha256).toBe(sha256(bytes('hello')));
  });
});
