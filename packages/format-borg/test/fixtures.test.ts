// Every committed Borg repository (made by Debian's borg 1.2.4: every encryption mode, every
// compression, keyfile, append-only, tiny chunks, sparse files) lists the archives borg lists and
// restores byte-identical to what borg extracts: content, modes, mtimes, links, holes.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BorgRepositoryInfo } from '@qubes-backup/format-borg';
import { extract, inspect, verify } from '@qubes-backup/restore';
import { cases, compareWithBorg, optionsOf, snapshot } from './_borg.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-borg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const before = new Map(cases.map((c) => [c.name, snapshot(c.repo)]));

test('the fixtures are there', () => expect(cases.length).toBeGreaterThanOrEqual(11));

describe.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
  test('info lists what borg list --json lists', async () => {
    const { info } = await inspect(c.repo, optionsOf(c));
    const repo = info as BorgRepositoryInfo;
    expect(repo.format).toBe('borg');
    expect(repo.repository.id).toBe(c.expected.repository_id);
    expect(repo.encryption).toBe(c.expected.encryption);
    expect(repo.appendOnly).toBe(c.expected.append_only);
    expect(repo.archives.map((a) => ({ name: a.name, id: a.id, start: a.start }))).toEqual(
      c.expected.list.archives.map((a) => ({ name: a.name, id: a.id, start: a.start })));
    expect(repo.archives.every((a) => a.tam === 'verified')).toBe(true);
  });

  test('every archive restores byte-identical (REPO::ARCHIVE into the destination)', async () => {
    for (const a of c.expected.archives) {
      const dest = join(work, name, a.name);
      const r = await extract(`${c.repo}::${a.name}`, { ...optionsOf(c), dest });
      expect(r.ok).toBe(true);
      expect(compareWithBorg(dest, a.files)).toEqual([]);
    }
  });

  test('verify reads every chunk and writes nothing', async () => {
    const r = await verify(c.repo, optionsOf(c));
    expect(r.units.map((u) => [u.name, u.status])).toEqual(c.expected.archives.map((a) => [a.name, 'ok']));
  });

  if (c.expected.passphrase !== null && c.expected.encryption !== 'none') {
    test('a wrong passphrase fails as a wrong passphrase', async () => {
      const e = await inspect(c.repo, { ...optionsOf(c), passphrase: 'not the passphrase' }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'E_PASSPHRASE' });
    });
  }

  test('nothing in the repository was written or touched', () => {
    expect(snapshot(c.repo)).toEqual(before.get(name));
  });
});
