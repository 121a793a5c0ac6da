// One opened backup read more than once (the web page lists a dom0 home, then saves a file of it;
// saves private.img, then browses it): each pass over a seekable Qubes backup gives the same
// archives and members, with their data. A stream can be read once: a second pass says so.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { OpenedBackup } from '@qubes-backup/core';
import { openBackup } from '@qubes-backup/restore';
import { memorySource, OURS } from '@qubes-backup/testkit';
import { createHash } from 'node:crypto';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

/** Every member of every archive in one pass: path, and the sha256 of its data for regular files. */
async function pass(o: OpenedBackup): Promise<string[]> {
  const out: string[] = [];
  for await (const a of o.archives(() => true)) {
    for await (const m of a.members({ wanted: () => true })) {
      if (m.type !== 'file') { out.push(`${a.unit} ${m.path}`); continue; }
      const h = createHash('sha256');
      for await (const e of m.extents()) h.update(e.bytes);
      out.push(`${a.unit} ${m.path} ${h.digest('hex').slice(0, 16)}`);
    }
  }
  return out;
}

describe('a seekable Qubes backup read in several passes', () => {
  test.each([
    ['v4', join(OURS, 'v4-sample', 'backup.bin')],
    ['v3', join(PACKAGES, 'format-v3/test/fixtures/v3-enc-gzip.bin')],
    ['v2', join(PACKAGES, 'format-v2/test/fixtures/v2-enc.bin')],
    ['v2 without a header', join(PACKAGES, 'format-v2/test/fixtures/v2-headerless-md5-enc.bin')],
  ])('%s: the second and third passes give what the first gave', async (_format, file) => {
    const o = await openBackup(file, { registry: defaultRegistry(), passphrase: 'qubes', settings: { legacy: true } });
    const first = await pass(o);
    expect(first.length).toBeGreaterThan(3);
    expect(await pass(o)).toEqual(first);
    // A pass that reads only one unit, then a whole one again.
    const unit = first[first.length - 1]!.split(' ')[0]!;
    for await (const a of o.archives((x) => x.unit === unit)) for await (const m of a.members()) void m;
    expect(await pass(o)).toEqual(first);
    await o.close?.();
  });

  test('a stream (a pipe) is read once: a second pass is refused in plain words', async () => {
    const bytes = readFileSync(join(OURS, 'v4-sample', 'backup.bin'));
    const o = await openBackup(memorySource(bytes, { seekable: false }), { registry: defaultRegistry(), passphrase: 'qubes' });
    expect((await pass(o)).length).toBeGreaterThan(3);
    await expect(pass(o)).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/read once/) });
  });
});
