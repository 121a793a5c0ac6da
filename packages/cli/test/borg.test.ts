// The same verbs on a Borg repository as on a Qubes backup: info (with --json, --history),
// files and get on REPO::ARCHIVE, extract, verify; exit codes as for Qubes backups.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '@qubes-backup/cli';

const BORG = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures/borg');
const repo = join(BORG, 'repokey-lz4', 'repo');
const expected = JSON.parse(readFileSync(join(BORG, 'repokey-lz4', 'expected.json'), 'utf8')) as {
  list: { archives: { name: string; id: string }[] };
  archives: { name: string; files: { path: string; type: string; sha256?: string; size?: number }[] }[];
};

let out = '';
let err = '';
let work = '';
beforeEach(() => {
  out = ''; err = '';
  work = mkdtempSync(join(tmpdir(), 'qbt-cli-borg-'));
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  process.env['BORG_PASSPHRASE'] = 'borg-fixture';
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env['BORG_PASSPHRASE'];
  rmSync(work, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('qubes-backup on a Borg repository', () => {
  test('info --json: encryption, appendOnly, archives with names and ids', async () => {
    expect(await main(['info', repo, '--json'])).toBe(0);
    const info = (JSON.parse(out) as { backup: { format: string; encryption: string; appendOnly: boolean; archives: { name: string; id: string }[] } }).backup;
    expect(info).toMatchObject({ format: 'borg', encryption: 'repokey', appendOnly: false });
    expect(info.archives.map((a) => [a.name, a.id])).toEqual(expected.list.archives.map((a) => [a.name, a.id]));
  });

  test('info --history --json lists transactions with their archives', async () => {
    expect(await main(['info', join(BORG, 'append-only', 'repo'), '--history', '--json'])).toBe(0);
    const info = (JSON.parse(out) as { backup: { transactions: { id: number; archives: string[] }[] } }).backup;
    expect(info.transactions.at(-1)).toEqual({ id: 21, archives: ['wednesday'] });
    expect(info.transactions.some((t) => t.archives.includes('tuesday'))).toBe(true);
  });

  test('info for people names the archives', async () => {
    expect(await main(['info', repo])).toBe(0);
    expect(out).toMatch(/Encryption:\s+repokey/);
    for (const a of expected.list.archives) expect(out).toContain(a.name);
  });

  test('files REPO::ARCHIVE PATH lists the folder; --json gives paths from the archive root, rooted at / as in an image', async () => {
    expect(await main(['files', `${repo}::first`, 'home/user/docs'])).toBe(0);
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['a/', 'up-link']);
    out = '';
    expect(await main(['files', `${repo}::first`, '/home/user', '-r', '--json'])).toBe(0);
    const listed = (JSON.parse(out) as { entries: { path: string }[] }).entries.map((e) => e.path).sort();
    const first = expected.archives.find((a) => a.name === 'first')!;
    expect(listed).toEqual(first.files.map((f) => `/${f.path}`).filter((p) => p.startsWith('/home/user/')).sort());
  });

  test('files of a path that is not there is a usage error', async () => {
    expect(await main(['files', `${repo}::first`, 'home/nobody'])).toBe(1);
    expect(err).toMatch(/no such path in the backup: 'home\/nobody'/);
  });

  test('get REPO::ARCHIVE PATH --dest keeps the path from the archive root', async () => {
    const dest = join(work, 'got');
    expect(await main(['get', `${repo}::first`, 'home/user/docs', '--dest', dest])).toBe(0);
    const deep = expected.archives.find((a) => a.name === 'first')!.files.find((f) => f.path.endsWith('deep.txt'))!;
    expect(sha(join(dest, deep.path))).toBe(deep.sha256);
    expect(existsSync(join(dest, 'home/user/notes.txt'))).toBe(false);
  });

  test('extract REPO::ARCHIVE restores into DEST; extract REPO restores each archive into DEST/<archive>', async () => {
    expect(await main(['extract', `${repo}::second`, '--dest', join(work, 'one')])).toBe(0);
    expect(statSync(join(work, 'one', 'home/user/notes.txt')).isFile()).toBe(true);
    expect(await main(['extract', repo, '--dest', join(work, 'all'), '--json'])).toBe(0);
    for (const a of expected.list.archives) expect(statSync(join(work, 'all', a.name, 'home/user')).isDirectory()).toBe(true);
  });

  test('verify REPO::ARCHIVE reads every chunk', async () => {
    expect(await main(['verify', `${repo}::first`])).toBe(0);
    expect(out).toContain('All selected members verified.');
  });

  test('a wrong passphrase exits 2 with one line', async () => {
    process.env['BORG_PASSPHRASE'] = 'wrong';
    expect(await main(['info', repo])).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/wrong passphrase/);
  });

  test('an unknown archive is a usage error listing the archives', async () => {
    expect(await main(['info', `${repo}::nope`])).toBe(1);
    expect(err).toMatch(/no archive named 'nope' in this repository \(archives: first, second\)/);
  });

  test('a repository without a passphrase never asks for one', async () => {
    delete process.env['BORG_PASSPHRASE'];
    expect(await main(['info', join(BORG, 'none-lz4', 'repo')])).toBe(0);
  });
});
