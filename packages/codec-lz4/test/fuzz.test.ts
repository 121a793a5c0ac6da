// Property tests (fast-check): the block decoder on random bytes, mutated liblz4 blocks and blocks
// assembled from random sequences. Any input gives output or a CorruptBackupError (never a
// TypeError, RangeError or a hang), the output never depends on how the input is cut, and what it
// accepts is what a plain read of the format gives. The main check of correct output is the
// liblz4-made fixtures and the liblz4 verdicts in differential.test.ts; these look for crashes.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { concatBytes } from '@qubes-backup/core';
import { lz4BlockDecode } from '@qubes-backup/codec-lz4';
import { drainHashed, fixtureReader, mutate, mutationOps, randomSplits, sha256hex as sha256 } from '@qubes-backup/testkit';
import { assemble, breaksEndRules, readBlock, type Sequence } from './blocks.js';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
const RUNS = { numRuns: 1500 };
/** Small enough that a random run of 255s hits it at once: no fuzz case decodes for long. */
const MAX_OUTPUT = 1 << 20;

/** Output hash, or undefined after a CorruptBackupError (anything else fails the test). */
async function run(block: Uint8Array, seed: number, max = 4096): Promise<string | undefined> {
  try {
    const got = await drainHashed(lz4BlockDecode(randomSplits(block, seed, max), { maxOutput: MAX_OUTPUT }), true);
    expect(got.maxPiece).toBeLessThanOrEqual(1 << 20);
    return sha256(got.bytes!);
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'CorruptBackupError') throw e;
    expect(e.message).toMatch(/^lz4: [^\r\n]+$/);
    return undefined;
  }
}

/** The decoder agrees with a plain whole-block read: same output, or both refuse. */
async function agrees(block: Uint8Array, seed: number): Promise<void> {
  const got = await run(block, seed, 1 + (seed % 300));
  const r = readBlock(block, MAX_OUTPUT);
  const valid = r !== undefined && !r.offsetZero && !breaksEndRules(r);
  expect(got).toBe(valid ? sha256(r.output) : undefined);
}

describe('lz4 block decoder under fuzzing', () => {
  test('random bytes at random splits', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.nat(), agrees), RUNS);
  });

  test('random bytes that start like a long run (tokens 0xf?, 0x?f, length bytes of 255)', async () => {
    const head = fc.constantFrom([0xff], [0xf0], [0x1f, 0x41, 1, 0], [0x1f, 0, 1, 0, 255, 255, 255]);
    await fc.assert(fc.asyncProperty(head, fc.uint8Array({ maxLength: 100 }), fc.nat(), (h, tail, seed) =>
      agrees(concatBytes([Uint8Array.from(h), tail]), seed)), RUNS);
  });

  test('mutated liblz4 blocks', async () => {
    const bases = ['tiny.lz4', 'runs.lz4', 'zeros.lz4', 'empty.lz4'].map(fixture);
    bases.push(fixture('text.lz4').subarray(0, 3000)); // a cut block: mostly invalid, parses far
    await fc.assert(fc.asyncProperty(fc.nat(bases.length - 1), mutationOps(4), fc.nat(), (i, ops, seed) =>
      agrees(mutate(bases[i]!, ops), seed)), RUNS);
  });

  const literals = fc.uint8Array({ maxLength: 300 });
  const sequence: fc.Arbitrary<Sequence> = fc.record({
    literals,
    match: fc.record({ offset: fc.integer({ min: 1, max: 65_535 }), length: fc.oneof(fc.integer({ min: 4, max: 40 }), fc.integer({ min: 4, max: 70_000 })) }),
  });

  test('assembled blocks decode to what their sequences say, cut anywhere', async () => {
    await fc.assert(fc.asyncProperty(fc.array(sequence, { maxLength: 8 }), fc.uint8Array({ minLength: 5, maxLength: 40 }), fc.nat(), async (seqs, last, seed) => {
      // Offsets beyond what is produced so far are clamped, and the end is made to keep the rules.
      let produced = 0;
      const fixed = seqs.map((s) => {
        produced += s.literals.length;
        const offset = produced === 0 ? 0 : 1 + ((s.match!.offset - 1) % Math.min(produced, 65_535));
        const out = { literals: s.literals, ...(offset ? { match: { offset, length: s.match!.length } } : {}) };
        produced += offset ? s.match!.length : 0;
        return out;
      });
      const block = assemble([...fixed.filter((s) => s.match), { literals: Uint8Array.from([...last, ...new Uint8Array(12)]) }]);
      const r = readBlock(block, MAX_OUTPUT);
      if (r === undefined) return; // clamping could not make it valid (output over the limit)
      expect(breaksEndRules(r)).toBe(false);
      const whole = await run(block, seed, 1 << 30);
      expect(whole).toBe(sha256(r.output));
      expect(await run(block, seed, 1 + (seed % 50))).toBe(whole);
      // The output size as a hint, right or wrong, changes nothing.
      for (const outputSize of [r.output.length, 1 + (seed % (r.output.length + 1)), r.output.length + 1 + (seed % 100)]) {
        expect(sha256((await drainHashed(lz4BlockDecode(randomSplits(block, seed, 64), { maxOutput: MAX_OUTPUT, outputSize }), true)).bytes!)).toBe(whole);
      }
    }), { numRuns: 500 });
  });
});
