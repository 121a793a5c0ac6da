// An append-only repository after an attacker's delete and prune: --history shows every
// transaction and the archives after it; --as-of reads the repository as it was, so the deleted
// archives list and restore byte-identical; and the repository is never changed.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BorgRepositoryInfo } from '@qubes-backup/format-borg';
import { extract, inspect } from '@qubes-backup/restore';
import { cases, compareWithBorg, optionsOf, snapshot } from './_borg.js';

const c = cases.find((x) => x.name === 'append-only')!;
const work = mkdtempSync(join(tmpdir(), 'qbt-borg-ao-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const info = async (settings: Record<string, string | boolean>) => (await inspect(c.repo, optionsOf(c, settings))).info as BorgRepositoryInfo;

describe('append-only history', () => {
  const before = snapshot(c.repo);

  test('the last transaction lists only what the attacker left', async () => {
    const i = await info({});
    expect(i.appendOnly).toBe(true);
    expect(i.archives.map((a) => a.name)).toEqual(['wednesday']);
    expect(i.transaction).toBe(c.expected.transaction_history.at(-1)!.transaction_id);
  });

  test('--history: every transaction with the archives present after it, as borg recorded them', async () => {
    const i = await info({ history: true });
    expect(i.transactions).toEqual(c.expected.transaction_history.map((t) => ({ id: t.transaction_id, archives: [...t.archives].sort() })));
  });

  test('--as-of N lists the repository as it was after transaction N', async () => {
    const all = c.expected.transaction_history.find((t) => t.archives.length === 3)!;
    const i = await info({ 'as-of': String(all.transaction_id) });
    expect(i.transaction).toBe(all.transaction_id);
    expect(i.archives.map((a) => a.name)).toEqual(['monday', 'tuesday', 'wednesday']);
    expect(i.archives.filter((a) => a.name !== 'wednesday').map((a) => [a.name, a.id]))
      .toEqual(c.expected.deleted_archives!.map((a) => [a.name, a.id]));
  });

  test('the deleted archives restore byte-identical as of an earlier transaction', async () => {
    const all = c.expected.transaction_history.find((t) => t.archives.length === 3)!;
    for (const a of c.expected.deleted_archives!) {
      const dest = join(work, a.name);
      const r = await extract(`${c.repo}::${a.name}`, { ...optionsOf(c, { 'as-of': String(all.transaction_id) }), dest });
      expect(r.ok).toBe(true);
      expect(compareWithBorg(dest, a.files)).toEqual([]);
    }
  });

  test('--as-of a number that is no transaction is a usage error', async () => {
    await expect(info({ 'as-of': '3' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('no transaction 3') });
    await expect(info({ 'as-of': '999' })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(info({ 'as-of': 'x' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  test('the repository is unchanged: every file, its bytes and its mtime', () => {
    expect(snapshot(c.repo)).toEqual(before);
  });
});
