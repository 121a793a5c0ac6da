// Damaged and hostile Borg repositories: a flipped byte in each kind of segment entry, a cut or
// missing segment, stripped or wrong TAMs, hostile msgpack, unsafe item paths. Each ends in a
// one-line error naming the chunk or segment (or, where borg would do the same, in a readable
// older state), writes nothing outside the destination and no byte that did not authenticate.
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isQubesBackupError } from '@qubes-backup/core';
import type { BorgRepositoryInfo } from '@qubes-backup/format-borg';
import { extract, inspect } from '@qubes-backup/restore';
import { unpack } from '../src/msgpack.js';
import { cases, compareWithBorg, optionsOf, type BorgCase } from './_borg.js';
import {
  TAG, appendTransaction, copyRepo, entries, flip, keyOf, noneObject, pack, repokeyObject, segments, withTam,
} from './_repo-writer.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-borg-adv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const repokey = cases.find((c) => c.name === 'repokey-lz4')!;
const none = cases.find((c) => c.name === 'none-lz4')!;
let n = 0;

interface Outcome { error?: { code: string; message: string; member?: string }; dest: string; box: string }

/** Extracts every archive of a damaged copy into a sandbox; what happened, and where. */
async function attempt(c: BorgCase, damage: (repo: string) => void | Promise<void>, settings: Record<string, string | boolean> = {}): Promise<Outcome> {
  const box = join(work, `case-${n++}`);
  mkdirSync(box);
  const repo = copyRepo(c.repo, join(box, 'repo'));
  await damage(repo);
  const dest = join(box, 'dest');
  try {
    await extract(repo, { ...optionsOf(c, settings), dest });
    return { dest, box };
  } catch (e) {
    if (!isQubesBackupError(e)) throw e; // a crash fails the test as itself
    return { error: { code: e.code, message: e.message, ...(e.member ? { member: e.member } : {}) }, dest, box };
  }
}

/** The common promises: one line, and nothing but the repository copy and the destination in the sandbox. */
function contained(o: Outcome): void {
  if (o.error) expect(o.error.message).not.toMatch(/[\r\n]/);
  const outside = readdirSync(o.box).filter((x) => x !== 'repo' && x !== 'dest');
  expect(outside).toEqual([]);
}

/** The largest PUT entry (a file chunk) and its segment. */
function largestPut(repo: string) {
  let best: { path: string; e: ReturnType<typeof entries>[number] } | undefined;
  for (const s of segments(repo)) {
    for (const e of entries(s.path)) if (e.tag === TAG.put && !e.key!.every((b) => b === 0) && (!best || e.size > best.e.size)) best = { path: s.path, e };
  }
  return best!;
}

describe('damaged segments (repokey)', () => {
  test('a flipped byte in an object: its CRC32 fails, naming the segment and offset', async () => {
    let where = '';
    const o = await attempt(repokey, (repo) => {
      const { path, e } = largestPut(repo);
      where = relative(repo, path);
      flip(path, e.offset + e.size - 100);
    });
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(o.error!.message).toContain(`CRC32 does not match (damaged segment): segment`);
    expect(o.error!.message).toContain(where);
  });

  test('a flipped byte with a matching CRC: the MAC fails, naming the chunk and every file that uses it', async () => {
    const o = await attempt(repokey, (repo) => {
      const { path, e } = largestPut(repo);
      flip(path, e.offset + e.size - 100, e);
    });
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_AUTH' });
    expect(o.error!.message).toMatch(/object [0-9a-f]{64} \(data\/0\/\d+ at byte \d+\): MAC does not verify/);
    expect(o.error!.message).toMatch(/this chunk is used by [1-9][0-9]* files?: home\/user\//);
    // The failed file is not left behind looking complete.
    expect(existsSync(join(o.dest, o.error!.member!))).toBe(false);
  });

  test('a flipped key byte: the index is stale, the segments are replayed and the object is missing', async () => {
    const o = await attempt(repokey, (repo) => {
      const { path, e } = largestPut(repo);
      flip(path, e.offset + 20, e);
    });
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(o.error!.message).toMatch(/object [0-9a-f]{64} is missing from the repository/);
  });

  test('a flipped byte in the manifest: its MAC fails before anything is listed', async () => {
    const o = await attempt(repokey, (repo) => {
      const s = segments(repo).reverse().find((x) => entries(x.path).some((e) => e.tag === TAG.put && e.key!.every((b) => b === 0)))!;
      const e = entries(s.path).find((x) => x.tag === TAG.put)!;
      flip(s.path, e.offset + 60, e);
    });
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_AUTH', member: 'manifest' });
  });

  test('a broken COMMIT: the last transaction is unfinished, the one before is read (as borg does)', async () => {
    const box = join(work, `case-${n++}`);
    const repo = copyRepo(repokey.repo, join(box, 'repo'));
    const last = segments(repo).at(-1)!;
    flip(last.path, 8 + 2);
    const info = (await inspect(repo, optionsOf(repokey))).info as BorgRepositoryInfo;
    expect(info.archives.map((a) => a.name)).toEqual(['first']);
    expect(info.transaction).toBeLessThan(last.segment);
  });

  test('a data segment cut short: the object is cut, naming the segment', async () => {
    const o = await attempt(repokey, (repo) => {
      const { path } = largestPut(repo);
      truncateSync(path, Math.floor(readFileSync(path).length / 2));
    });
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(o.error!.message).toMatch(/cut short|missing from the repository|runs past the end/);
  });

  test('a missing data segment: the objects in it are missing', async () => {
    const o = await attempt(repokey, (repo) => unlinkSync(largestPut(repo).path));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(o.error!.message).toMatch(/object [0-9a-f]{64} is missing from the repository/);
  });

  test('a flipped DELETE entry: harmless with the index, named when the history is replayed', async () => {
    const damage = (repo: string) => {
      const s = segments(repo).find((x) => entries(x.path).some((e) => e.tag === TAG.delete))!;
      const e = entries(s.path).find((x) => x.tag === TAG.delete)!;
      flip(s.path, e.offset + 20);
    };
    const o = await attempt(repokey, damage);
    contained(o);
    expect(o.error).toBeUndefined();
    const h = await attempt(repokey, damage, { history: true });
    expect(h.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(h.error!.message).toMatch(/CRC32 of a DELETE entry does not match: segment \d+ \(data\/0\/\d+\) at byte \d+/);
  });
});

/**
 * Appends a transaction whose archive `first` is replaced by a crafted one (its metadata changed by
 * `edit`, its TAM per `tam`), and a manifest listing it (a valid TAM unless `manifestTam` says).
 */
async function craftedArchive(repo: string, tam: 'valid' | 'wrong' | 'none', manifestTam: 'valid' | 'none' | 'wrong' = 'valid') {
  const key = await keyOf(repo, repokey.expected.passphrase!);
  const a = repokey.expected.archives[0]!;
  // The real archive metadata, decrypted through the code under test's own reader of the fixture.
  const { Objects } = await import('../src/objects.js');
  const { Repository } = await import('../src/repository.js');
  const { defaultRegistry } = await import('@qubes-backup/all/node');
  const { directorySource } = await import('@qubes-backup/restore');
  const r = defaultRegistry();
  const objects = new Objects(await Repository.open(directorySource(repo), r.get('hash', 'crc32')), r, 0x03, key);
  const meta = unpack(await objects.get(Buffer.from(a.id, 'hex'), 'archive'), 'archive') as Record<string, unknown>;
  delete meta['tam'];
  const archivePlain = tam === 'none' ? pack(meta) : withTam(meta, key, 'archive');
  if (tam === 'wrong') archivePlain[archivePlain.length - 70]! ^= 0x01;
  const archiveObj = repokeyObject(key, archivePlain);
  const manifest = { version: 1, timestamp: '2030-01-01T00:00:00.000000', item_keys: [], config: { tam_required: true }, archives: { first: { id: archiveObj.id, time: '2024-01-03T00:00:00.000000' } } };
  let manifestPlain = manifestTam === 'none' ? pack(manifest) : withTam(manifest, key, 'manifest');
  if (manifestTam === 'wrong') { manifestPlain = Uint8Array.from(manifestPlain); manifestPlain[manifestPlain.length - 70]! ^= 0x01; }
  const manifestObj = repokeyObject(key, manifestPlain);
  appendTransaction(repo, [archiveObj, { id: new Uint8Array(32), data: manifestObj.data }], [new Uint8Array(32)]);
}

describe('authentication tags (TAM)', () => {
  test('a crafted archive with a valid TAM opens (control: the writer is right)', async () => {
    const o = await attempt(repokey, (repo) => craftedArchive(repo, 'valid'));
    expect(o.error).toBeUndefined();
  });

  test('an archive TAM that does not verify is refused (borg 1.4: ArchiveTAMInvalid), unless accepted', async () => {
    const o = await attempt(repokey, (repo) => craftedArchive(repo, 'wrong'));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_AUTH', member: "archive 'first'" });
    expect(o.error!.message).toContain('does not verify');
    expect(readdirSync(o.dest)).toEqual([]);
    expect((await attempt(repokey, (repo) => craftedArchive(repo, 'wrong'), { 'accept-unauthenticated-archives': true })).error).toBeUndefined();
  });

  test('an archive without a TAM is refused unless accepted (safer than borg 1.4, which reads it)', async () => {
    const o = await attempt(repokey, (repo) => craftedArchive(repo, 'none'));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_AUTH' });
    expect(o.error!.message).toContain('has no authentication tag (TAM)');
    expect((await attempt(repokey, (repo) => craftedArchive(repo, 'none'), { 'accept-unauthenticated-archives': true })).error).toBeUndefined();
  });

  test('a manifest without a TAM, from a key that requires one, is refused', async () => {
    const o = await attempt(repokey, (repo) => craftedArchive(repo, 'valid', 'none'));
    expect(o.error).toMatchObject({ code: 'E_AUTH', member: 'manifest' });
    expect(o.error!.message).toContain('unauthenticated (no TAM)');
  });

  test('a manifest TAM that does not verify is refused', async () => {
    const o = await attempt(repokey, (repo) => craftedArchive(repo, 'valid', 'wrong'));
    expect(o.error).toMatchObject({ code: 'E_AUTH', member: 'manifest' });
  });
});

/** Appends a `none`-mode archive `evil` whose item stream is `itemBytes` (items, or hostile bytes). */
function craftedItems(repo: string, itemBytes: Uint8Array, data: Uint8Array[] = []) {
  const chunks = data.map(noneObject);
  const items = noneObject(itemBytes);
  const meta = { version: 1, name: 'evil', items: [items.id], cmdline: [], time: '2030-01-01T00:00:00.000000' };
  const archive = noneObject(withTam(meta, undefined, 'archive'));
  const manifest = noneObject(withTam({
    version: 1, timestamp: '2030-01-01T00:00:00.000000', item_keys: [], config: {},
    archives: { evil: { id: archive.id, time: '2030-01-01T00:00:00.000000' } },
  }, undefined, 'manifest'));
  appendTransaction(repo, [...chunks, items, archive, { id: new Uint8Array(32), data: manifest.data }], [new Uint8Array(32)]);
}

const file = (path: string, content: Uint8Array) => ({
  path: new TextEncoder().encode(path), mode: 0o100644, mtime: 0, chunks: [[noneObject(content).id, content.length, content.length + 3]],
});

describe('hostile items (mode none, crafted)', () => {
  const escape = join(tmpdir(), 'qbt-borg-escaped.txt');

  test.each([
    ['../ in a path', '../escaped.txt'],
    ['an absolute path', escape],
    ['.. inside a path', 'home/../../escaped.txt'],
  ])('%s is refused, naming it, and nothing is written outside the destination', async (_, path) => {
    const content = new TextEncoder().encode('escaped\n');
    const o = await attempt(none, (repo) => craftedItems(repo, pack(file(path, content)), [content]));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(o.error!.message).toContain(path);
    expect(existsSync(escape)).toBe(false);
  });

  test('a symlink, then a file written through it, is refused', async () => {
    const content = new TextEncoder().encode('through the link\n');
    const items = [
      { path: new TextEncoder().encode('home/link'), mode: 0o120777, mtime: 0, source: new TextEncoder().encode(tmpdir()) },
      file('home/link/x.txt', content),
    ];
    const o = await attempt(none, (repo) => craftedItems(repo, new Uint8Array(Buffer.concat(items.map((i) => Buffer.from(pack(i))))), [content]));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(existsSync(join(tmpdir(), 'x.txt'))).toBe(false);
  });

  test.each([
    ['a string claiming 4 GiB', Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ['an array claiming 4 billion entries', Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['a map claiming 4 billion entries', Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['200 000 nested arrays', Uint8Array.from([...new Array(200_000).fill(0x91), 0x01])],
    ['an item that is not a map', pack([1, 2, 3])],
    ['an item without a path', pack({ mode: 0o100644, mtime: 0 })],
    ['a chunk list entry that is no [id, size, csize]', pack({ path: new TextEncoder().encode('a'), mode: 0o100644, mtime: 0, chunks: [[1, 2, 3]] })],
  ])('hostile msgpack (%s) ends in a one-line error naming the archive, without a crash', async (_, bytes) => {
    const o = await attempt(none, (repo) => craftedItems(repo, bytes));
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_CORRUPT' });
    expect(o.error!.member ?? o.error!.message).toMatch(/archive 'evil'/);
  });
});

describe('one damaged archive of several', () => {
  /** A copy of repokey-lz4 whose archive 'first' has its metadata object's MAC broken (CRC kept right). */
  function damageFirst(repo: string): void {
    const id = Buffer.from(repokey.expected.list.archives.find((a) => a.name === 'first')!.id, 'hex');
    for (const s of segments(repo)) {
      const e = entries(s.path).find((x) => x.tag === TAG.put && Buffer.from(x.key!).equals(id));
      if (e) { flip(s.path, e.offset + e.size - 10, e); return; }
    }
    throw new Error('archive object not found');
  }

  test('info lists it as damaged, the others as they are', async () => {
    const repo = copyRepo(repokey.repo, join(work, 'one-damaged-info'));
    damageFirst(repo);
    const i = (await inspect(repo, optionsOf(repokey))).info as BorgRepositoryInfo;
    expect(i.archives.map((a) => [a.name, a.tam])).toEqual([['first', 'unread'], ['second', 'verified']]);
    expect(i.archives[0]!.damaged).toMatch(/^object [0-9a-f]{64} \(data\/0\/\d+ at byte \d+\): MAC does not verify/);
    expect(i.archives[1]!.damaged).toBeUndefined();
  });

  test('extract of the repository stops at it, naming it; with --keep-going the other restores byte-identical', async () => {
    const o = await attempt(repokey, damageFirst);
    contained(o);
    expect(o.error).toMatchObject({ code: 'E_AUTH', member: "archive 'first'" });
    const dest = join(work, 'one-damaged-keep-going');
    const repo = copyRepo(repokey.repo, join(work, 'one-damaged-kg-repo'));
    damageFirst(repo);
    const r = await extract(repo, { ...optionsOf(repokey), dest, keepGoing: true }).catch((e: unknown) => e);
    expect(r).toMatchObject({ ok: false });
    const report = r as { units: { name: string; status: string; error?: string }[] };
    expect(report.units.map((u) => [u.name, u.status])).toEqual([['first', 'failed'], ['second', 'ok']]);
    expect(compareWithBorg(join(dest, 'second'), repokey.expected.archives.find((a) => a.name === 'second')!.files)).toEqual([]);
  });

  test('REPO::ARCHIVE of the damaged one fails when opened; of another it opens', async () => {
    const repo = copyRepo(repokey.repo, join(work, 'one-damaged-named'));
    damageFirst(repo);
    await expect(inspect(`${repo}::first`, optionsOf(repokey))).rejects.toMatchObject({ code: 'E_AUTH', member: "archive 'first'" });
    expect(((await inspect(`${repo}::second`, optionsOf(repokey))).info as BorgRepositoryInfo).archives.map((a) => a.name)).toEqual(['second']);
  });
});

describe('--as-of a repository that is not append-only', () => {
  test("an object gone since (as compaction removes a moved object's old segment) is said to be possibly compacted away", async () => {
    const repo = copyRepo(repokey.repo, join(work, 'compacted'));
    const first = repokey.expected.transaction_history.find((t) => t.archives.join() === 'first')!.transaction_id;
    // Segment 2 holds what 'first' added; a compaction after the last transaction would have copied it on and deleted it.
    unlinkSync(segments(repo).find((s) => s.segment === 2)!.path);
    const asOf = (await inspect(repo, optionsOf(repokey, { 'as-of': String(first) }))).info as BorgRepositoryInfo;
    expect(asOf.archives[0]!.damaged).toMatch(new RegExp(`is missing from the repository as of transaction ${first} \\(this repository is not append-only: compacting it since may have removed what that transaction held\\)`));
    await expect(inspect(`${repo}::first`, optionsOf(repokey))).rejects.toMatchObject({ message: expect.not.stringMatching(/append-only/) });
  });
});
