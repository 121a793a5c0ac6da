// The WebAssembly whole-block decoder (src/block.wat) against the streaming TypeScript decoder: it
// must give the same bytes whenever that decoder accepts with the output within the cap, and
// decline (undefined) otherwise, so that lz4BlockDecode's fallback gives the exact error. Same
// corpora as the streaming decoder: liblz4's fixtures, the liblz4 differential corpus, fuzzing.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lz4BlockDecode } from '@qubes-backup/codec-lz4';
import { drainHashed, fixtureReader, mutate, mutationOps, pieces, readSums, sha256hex as sha256 } from '@qubes-backup/testkit';
import { decodeWholeBlock } from '../src/whole-block.js';
import { assemble, type Sequence } from './blocks.js';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const expected = readSums(fixture('sums.txt'));

/** The streaming decoder's output within `cap`, or undefined when it refuses (corrupt, or larger). */
async function streamed(block: Uint8Array, cap: number): Promise<string | undefined> {
  try {
    return sha256((await drainHashed(lz4BlockDecode(pieces(block), { maxOutput: cap }), true)).bytes!);
  } catch (e) {
    if ((e as { code?: string }).code !== 'E_CORRUPT') throw e;
    return undefined;
  }
}

/** Both decoders agree on `block` within `cap`; returns whether the block was accepted. */
async function agrees(block: Uint8Array, cap: number): Promise<boolean> {
  const wasm = decodeWholeBlock(block, cap);
  expect(wasm === undefined ? undefined : sha256(wasm)).toBe(await streamed(block, cap));
  return wasm !== undefined;
}

test('the committed module is block.wat assembled', () => {
  const tool = fileURLToPath(new URL('../../../tools/build-wasm.mjs', import.meta.url));
  expect(() => execFileSync(process.execPath, [tool, 'lz4', '--check'], { stdio: 'pipe' })).not.toThrow();
});

test('liblz4 fixtures: the exact output at a cap of their size, declined one byte below', () => {
  for (const [name, want] of expected) {
    const block = fixture(name);
    const out = decodeWholeBlock(block, want.size);
    expect({ name, size: out?.length, sha256: out && sha256(out) }).toEqual({ name, ...want });
    if (want.size > 0) expect(decodeWholeBlock(block, want.size - 1)).toBeUndefined();
  }
});

test('blocks larger than the WebAssembly path takes are declined, not decoded', () => {
  expect(decodeWholeBlock(fixture('zeros.lz4'), 24 << 20)).toBeUndefined();
  expect(decodeWholeBlock(fixture('zeros.lz4'), (24 << 20) - fixture('zeros.lz4').length)).toHaveLength(1 << 20);
});

test('the liblz4 differential corpus: same verdict and bytes as the streaming decoder', async () => {
  const bin = fixture('differential.bin');
  const tally = { accepted: 0, declined: 0 };
  for (let o = 0; o < bin.length;) {
    const n = bin[o]! | (bin[o + 1]! << 8);
    const block = bin.subarray(o + 2, o + 2 + n);
    o += 2 + n;
    if (await agrees(block, 1 << 16)) tally.accepted++;
    else tally.declined++;
  }
  // differential.test.ts: the streaming decoder accepts 683 of the 2000.
  expect(tally).toEqual({ accepted: 683, declined: 1317 });
}, 60_000);

describe('fuzzing', () => {
  // Seeded: how many assembled blocks decode is a count over random cases, and an unseeded run saw
  // 94 where the test wants more than 100 (CI on a fresh clone, 2026-12-05).
  const RUNS = { numRuns: 1500, seed: 20261205 };
  const cap = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(1 << 20));

  test('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), cap, async (b, c) => { await agrees(b, c); }), RUNS);
  });

  test('mutated liblz4 blocks', async () => {
    const bases = ['tiny.lz4', 'runs.lz4', 'zeros.lz4', 'empty.lz4'].map(fixture);
    bases.push(fixture('text.lz4').subarray(0, 3000));
    await fc.assert(fc.asyncProperty(fc.nat(bases.length - 1), mutationOps(4), async (i, ops) => { await agrees(mutate(bases[i]!, ops), 1 << 21); }), RUNS);
  });

  test('assembled blocks, at caps around their output size (matches overlapping, near both ends)', async () => {
    const sequence: fc.Arbitrary<Sequence> = fc.record({
      literals: fc.uint8Array({ maxLength: 40 }),
      match: fc.record({ offset: fc.integer({ min: 1, max: 300 }), length: fc.integer({ min: 4, max: 300 }) }),
    });
    let accepted = 0;
    await fc.assert(fc.asyncProperty(fc.array(sequence, { maxLength: 8 }), fc.uint8Array({ maxLength: 20 }), fc.integer({ min: -3, max: 3 }), async (seqs, last, delta) => {
      const block = assemble([...seqs, { literals: last }]);
      const size = (await streamed(block, 1 << 20)) === undefined ? 64 : decodeWholeBlock(block, 1 << 20)!.length;
      if (await agrees(block, Math.max(0, size + delta))) accepted++;
    }), RUNS);
    expect(accepted).toBeGreaterThan(100); // not all declined: the WebAssembly path was exercised
  });
});
