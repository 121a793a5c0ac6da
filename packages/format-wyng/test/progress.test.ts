// Progress of a Wyng restore is counted where bytes leave the archive folder, chunk files included
// (they are read whole, with DirectorySource.readSmall): every byte of every file the restore reads.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from '@qubes-backup/restore';
import { registry } from './_wyng.js';

const demo = new URL('./fixtures/demo', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-progress-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bytes of the chunk files (names x<16 hex digits>) under a folder. */
function chunkBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += chunkBytes(join(dir, e.name));
    else if (/^x[0-9a-f]{16}$/.test(e.name)) n += statSync(join(dir, e.name)).size;
  }
  return n;
}

test('extract reports at least every chunk file\'s bytes through onProgress', async () => {
  let reported = 0;
  const r = await extract(demo, { registry: registry(), dest: join(work, 'out'), onProgress: (n) => { reported += n; } });
  expect(r.ok).toBe(true);
  const chunks = chunkBytes(demo);
  expect(chunks).toBeGreaterThan(0);
  expect(reported).toBeGreaterThanOrEqual(chunks);
});
