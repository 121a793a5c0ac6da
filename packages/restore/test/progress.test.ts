// Progress through a backup file is how far the restore itself has read: a key look-ahead reading
// chunk headers ahead of it, read again later, never pushes the bar past 100 % (issue 16: it said
// "100% 442 KiB/230 KiB").
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import { extract } from '@qubes-backup/restore';
import { OURS } from '@qubes-backup/testkit';

/** Images over many 20000-byte chunks: the look-ahead reads each one's head before the main pass. */
const BACKUP = join(OURS, 'v4-gnu-sparse-multichunk', 'backup.bin');
const SIZE = statSync(BACKUP).size;

let dest: string;
beforeEach(() => { dest = mkdtempSync(join(tmpdir(), 'qbt-progress-')); });
afterEach(() => rmSync(dest, { recursive: true, force: true }));

test.each([
  // dom0's home is the last member: reading it reaches the end of the file.
  ['everything', undefined, SIZE],
  // The VM before it is seeked over (counted as passed); dom0's home after it is not read.
  ['one VM', ['personal'], undefined],
])('%s: the progress never adds up to more than the backup\'s size', async (_, units, expected) => {
  let total = 0;
  let max = 0;
  await extract(BACKUP, {
    registry: defaultRegistry(), passphrase: 'qubes', dest, ...(units ? { units } : {}),
    onProgress: (n) => { expect(n).toBeGreaterThan(0); total += n; max = Math.max(max, total); },
  });
  expect(max).toBeLessThanOrEqual(SIZE);
  if (expected !== undefined) expect(total).toBe(expected);
  else expect(total).toBeGreaterThan(SIZE / 2);
});

test('what a restore waits on is told (the header check, each chunk\'s key), and each wait is ended', async () => {
  const said: (string | undefined)[] = [];
  await extract(BACKUP, { registry: defaultRegistry(), passphrase: 'qubes', dest, units: ['personal'], onStatus: (t) => said.push(t) });
  const texts = said.filter((t): t is string => t !== undefined);
  expect(texts.map((t) => t.replace(/ \(.*\)$/, ''))).toEqual(expect.arrayContaining([
    'checking the passphrase against the backup header', 'deriving the key of qubes.xml.000.enc', 'deriving the key of vm6/private.img.000.enc',
  ]));
  // What a derivation costs, once the cipher said (issue 16): its memory, and its time once one of its size was timed.
  expect(texts).toContainEqual(expect.stringMatching(/^checking the passphrase against the backup header \(scrypt, \d+\.\d (MiB|GiB)(, (~\d+|<1) s)?\)$/));
  expect(texts).toContainEqual(expect.stringMatching(/^deriving the key of vm6\/private\.img\.000\.enc \(scrypt, \d+\.\d (MiB|GiB), (~\d+|<1) s\)$/));
  // A wait may be told again in more detail; every wait is ended before another starts, and the last one is ended too.
  const waits = said.map((t) => (t === undefined ? 'end' : t.replace(/ \(.*\)$/, '')));
  waits.forEach((w, i) => { if (i > 0 && w !== 'end' && waits[i - 1] !== 'end') expect(w).toBe(waits[i - 1]); });
  expect(waits.at(-1)).toBe('end');
  expect(waits.filter((w) => w === 'end').length).toBe(new Set(texts.map((t) => t.replace(/ \(.*\)$/, ''))).size);
});
