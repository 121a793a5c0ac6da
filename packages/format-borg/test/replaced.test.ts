// A repository someone who can write to it replaced: a key of their own under an empty passphrase,
// contents stored without encryption where a key is at hand, or an unfinished write whose last
// object ends in the bytes of a COMMIT. Each is refused or read as borg reads it, never opened as
// the owner's.
import { afterAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { BorgRepositoryInfo } from '@qubes-backup/format-borg';
import { inspect } from '@qubes-backup/restore';
import { cases, optionsOf } from './_borg.js';
import { TAG, appendTransaction, copyRepo, entries, noneObject, rekey, segments } from './_repo-writer.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-borg-replaced-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const repokey = cases.find((x) => x.name === 'repokey-lz4')!;
const none = cases.find((x) => x.name === 'none-lz4')!;
const info = async (repo: string, options: Parameters<typeof inspect>[1]) => (await inspect(repo, options)).info as BorgRepositoryInfo;

describe('a key replaced by one under an empty passphrase', () => {
  const repo = copyRepo(repokey.repo, join(work, 'empty-key'));
  rekey(repo, repokey.expected.passphrase!, '');

  test('does not open when a passphrase is given: only that one is tried, as borg tries only BORG_PASSPHRASE', async () => {
    await expect(info(repo, optionsOf(repokey))).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
    const given = async (_purpose?: string, how?: { readonly ask: boolean }) => (how?.ask === false ? repokey.expected.passphrase! : 'typed');
    await expect(info(repo, { ...optionsOf(repokey), passphrase: given })).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
  });

  test('opens unasked when none is given (an empty passphrase tried first, as borg does before it asks)', async () => {
    const asked: boolean[] = [];
    const nothingGiven = async (_purpose?: string, how?: { readonly ask: boolean }) => { asked.push(how?.ask ?? true); return how?.ask === false ? undefined : 'typed'; };
    const i = await info(repo, { ...optionsOf(repokey), passphrase: nothingGiven });
    expect(i.archives.map((a) => a.name)).toEqual(repokey.expected.list.archives.map((a) => a.name));
    expect(asked).toEqual([false]);
  });
});

describe('contents stored without encryption where a key is at hand', () => {
  test("refused when the repository's config holds a key", async () => {
    const repo = copyRepo(none.repo, join(work, 'none-with-key'));
    copyFileSync(join(repokey.repo, 'config'), join(repo, 'config'));
    await expect(info(repo, optionsOf(repokey))).rejects.toMatchObject({
      code: 'E_AUTH', member: 'manifest', message: expect.stringMatching(/unencrypted and unauthenticated \(mode none\), but its config holds a key/),
    });
  });

  test('refused when a key file was given', async () => {
    const keyfile = cases.find((x) => x.expected.keyfile)!;
    await expect(info(none.repo, { ...optionsOf(none), settings: { keyfile: join(keyfile.dir, keyfile.expected.keyfile!) } })).rejects.toMatchObject({
      code: 'E_AUTH', message: expect.stringMatching(/but a key was given \(--keyfile /),
    });
  });

  test('a repository made without encryption still opens', async () => {
    expect((await info(none.repo, optionsOf(none))).encryption).toBe('none');
  });
});

describe('the last transaction is the last segment whose entries end with a COMMIT', () => {
  /** A valid COMMIT entry's 9 bytes. */
  const commit = (() => {
    const body = Buffer.from([9, 0, 0, 0, TAG.commit]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(body));
    return Buffer.concat([crc, body]);
  })();

  test('an unfinished write whose last object ends in the bytes of a COMMIT is not a transaction', async () => {
    const repo = copyRepo(none.repo, join(work, 'commit-lookalike'));
    const before = await info(repo, optionsOf(none));
    // A writer that stopped after its last PUT, whose stored bytes end like a COMMIT entry.
    const last = appendTransaction(repo, [noneObject(Buffer.concat([Buffer.from('a backed-up file ending in '), commit]))]);
    rmSync(segments(repo).find((s) => s.segment === last)!.path);
    expect(readFileSync(segments(repo).at(-1)!.path).subarray(-9)).toEqual(commit);
    const after = await info(repo, optionsOf(none));
    expect(after.lastTransaction).toBe(before.lastTransaction);
    expect(after.archives).toEqual(before.archives);
  });

  test('an empty segment is one borg deleted (truncated, then a crash before the unlink): skipped, not damage', async () => {
    const repo = copyRepo(none.repo, join(work, 'emptied'));
    const before = await info(repo, optionsOf(none));
    // A transaction whose only object a later compaction dropped: its segment truncated, its COMMIT kept.
    const last = appendTransaction(repo, [noneObject(Buffer.from('an object no archive uses'))]);
    writeFileSync(segments(repo).find((s) => s.segment === last - 1)!.path, '');
    const after = await info(repo, { ...optionsOf(none), settings: { history: true } });
    expect(after.lastTransaction).toBe(last);
    expect(after.archives).toEqual(before.archives);
    expect(after.transactions!.at(-1)).toEqual({ id: last, archives: before.archives.map((a) => a.name).sort() });
  });

  test('segments reached through symbolic links (moved to another disk and linked back) are read, as borg reads them', async () => {
    const repo = copyRepo(repokey.repo, join(work, 'linked'));
    const elsewhere = join(work, 'linked-elsewhere');
    mkdirSync(elsewhere);
    const last = segments(repo).at(-1)!;
    renameSync(last.path, join(elsewhere, 'last'));
    symlinkSync(join(elsewhere, 'last'), last.path);
    renameSync(join(repo, 'data', '0'), join(elsewhere, '0'));
    symlinkSync(join(elsewhere, '0'), join(repo, 'data', '0'));
    const i = await info(repo, optionsOf(repokey));
    expect(i.lastTransaction).toBe(last.segment);
    expect(i.archives.map((a) => a.name)).toEqual(repokey.expected.list.archives.map((a) => a.name));
  });

  test('a segment ending in a COMMIT whose entries do not parse is said damaged, naming it, not read as an earlier transaction', async () => {
    const repo = copyRepo(none.repo, join(work, 'commit-damaged'));
    // One segment holding a PUT and the COMMIT after it, as borg 1.0 wrote them.
    const last = appendTransaction(repo, [noneObject(Buffer.from('an object'))]);
    const [seg, commitOnly] = segments(repo).slice(-2) as [{ segment: number; path: string }, { segment: number; path: string }];
    expect(commitOnly.segment).toBe(last);
    appendFileSync(seg.path, readFileSync(commitOnly.path).subarray(8));
    rmSync(commitOnly.path);
    expect((await info(repo, optionsOf(none))).lastTransaction).toBe(seg.segment);
    const b = readFileSync(seg.path);
    b.writeUInt32LE(3, entries(seg.path)[0]!.offset + 4); // an entry size no entry has
    writeFileSync(seg.path, b);
    await expect(info(repo, optionsOf(none))).rejects.toMatchObject({ code: 'E_CORRUPT', member: seg.path.slice(repo.length + 1) });
  });
});
