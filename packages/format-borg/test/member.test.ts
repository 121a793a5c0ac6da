// A Qubes backup file kept in a Borg archive opens in place (--member): listed, verified and
// restored byte-identical to the same backup on disk, reading the archive's chunks where needed.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { extract, inspect } from '@qubes-backup/restore';
import { OURS, compareWithManifest, type Entry } from '@qubes-backup/testkit';
import { cases } from './_borg.js';

const c = cases.find((x) => x.name === 'qubes-in-borg')!;
const sample = JSON.parse(readFileSync(join(OURS, 'v4-sample', 'manifest.json'), 'utf8')) as { passphrase: string; files: Entry[] };
const work = mkdtempSync(join(tmpdir(), 'qbt-borg-member-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const member = 'home/user/qubes-backup-2024-01-01T000000';
/** The repository's passphrase for its key, the backup's own for the backup inside. */
const options = () => ({
  registry: defaultRegistry(),
  passphrase: async (purpose?: string) => (purpose === 'borg' ? c.expected.passphrase! : sample.passphrase),
  settings: { member },
});

test('info REPO::ARCHIVE --member PATH shows the Qubes backup inside', async () => {
  const { info } = await inspect(`${c.repo}::backup`, options());
  const m = info as QubesBackupModel;
  expect(m.format).toBe('v4');
  expect(m.vms.some((v) => v.name === 'work' && v.included)).toBe(true);
});

test('extract restores it byte-identical to the same backup on disk', async () => {
  const dest = join(work, 'out');
  const r = await extract(`${c.repo}::backup`, { ...options(), dest });
  expect(r.ok).toBe(true);
  expect(await compareWithManifest(dest, sample.files.map((e) => [e.path, e] as [string, Entry]))).toEqual([]);
});

test('a path that is no file of the archive is a usage error', async () => {
  await expect(inspect(`${c.repo}::backup`, { ...options(), settings: { member: 'home/user/nope' } }))
    .rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining("no file 'home/user/nope'") });
  await expect(inspect(`${c.repo}::backup`, { ...options(), settings: { member: 'home/user' } }))
    .rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('not a regular file') });
});

test("a hard link after the first opens with its first link's content (it keeps no chunks of its own)", async () => {
  const opened = (path: string) => inspect(`${c.repo}::backup`, { ...options(), settings: { member: path } }).then(() => ({ opened: true }), (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message?.replace(path.replace(/^.*\//, ''), 'NAME') }));
  // Both hold the same 21 bytes of text: no backup format recognizes them, the same way for both.
  const first = await opened('home/user/hardlink-a.txt');
  expect(first).toMatchObject({ code: expect.not.stringMatching(/^E_USAGE$/) });
  expect(await opened('home/user/hardlink-b.txt')).toEqual(first);
});
