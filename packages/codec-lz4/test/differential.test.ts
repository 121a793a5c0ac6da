// This decoder against liblz4 1.9.4 (LZ4_decompress_safe, called as Borg 1.x calls it) on 2000
// small blocks: liblz4's own output, mutations of it, random bytes and hand-built sequences near
// the format's edges. fixtures/make-differential.py recorded liblz4's verdict on each.
import { expect, test } from '@jest/globals';
import { lz4BlockDecode } from '@qubes-backup/codec-lz4';
import { drainHashed, fixtureReader, pieces, type Split } from '@qubes-backup/testkit';
import { breaksEndRules, readBlock } from './blocks.js';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));

function cases(): { block: Uint8Array; liblz4: string }[] {
  const bin = fixture('differential.bin');
  const verdicts = new TextDecoder().decode(fixture('differential.txt')).trim().split('\n');
  const out: { block: Uint8Array; liblz4: string }[] = [];
  for (let o = 0; o < bin.length;) {
    const n = bin[o]! | (bin[o + 1]! << 8);
    out.push({ block: bin.subarray(o + 2, o + 2 + n), liblz4: verdicts[out.length]! });
    o += 2 + n;
  }
  expect(out.length).toBe(verdicts.length);
  return out;
}

async function verdict(block: Uint8Array, split: Split): Promise<string> {
  try {
    const got = await drainHashed(lz4BlockDecode(pieces(block, split, block.length)));
    return `ok ${got.size} ${got.sha256.slice(0, 16)}`;
  } catch (e) {
    if ((e as { code?: string }).code !== 'E_CORRUPT') throw e;
    return 'error';
  }
}

test('accepts no block liblz4 refuses, decodes the same bytes, refuses only what the format forbids', async () => {
  const tally = { both: 0, neither: 0, offsetZero: 0, endRules: 0 };
  for (const { block, liblz4 } of cases()) {
    const ours = await verdict(block, 'whole');
    expect(await verdict(block, 'bytes')).toBe(ours);
    if (ours !== 'error') {
      expect(ours).toBe(liblz4); // same size and sha256
      tally.both++;
    } else if (liblz4 === 'error') {
      tally.neither++;
    } else {
      // liblz4 decoded it; the format forbids it: an offset 0 (liblz4 copies stale buffer bytes)
      // or an end that breaks the end-of-block rules liblz4 only partly checks.
      const r = readBlock(block);
      expect(r).toBeDefined();
      if (r!.offsetZero) tally.offsetZero++;
      else {
        expect(breaksEndRules(r!)).toBe(true);
        tally.endRules++;
      }
    }
  }
  // The corpus reaches every kind of case; make-differential.py's seed gives exactly these counts.
  expect(tally).toEqual({ both: 683, neither: 1247, offsetZero: 43, endRules: 27 });
}, 60_000);
