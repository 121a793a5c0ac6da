import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyOut, openImage, type CopiedEntry, type Ext4Image } from '@qubes-backup/image-ext4';
import { loadExpected, sha256File, unpackImages, type ExpectedImage, type Workdir } from './_fixtures.js';

let work: Workdir;
let expected: Record<string, ExpectedImage>;
let img: Ext4Image;
let dest: string;
let outside: string;
let n = 0;

beforeAll(async () => {
  work = await unpackImages(['fs4k', 'evil']);
  expected = await loadExpected();
  img = await openImage(work.image('fs4k'));
});
afterAll(async () => {
  await img.close();
  // Restore write permission on read-only dirs so the temp tree can be removed.
  await rm(work.dir, { recursive: true, force: true }).catch(async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('chmod', ['-R', 'u+rwx', work.dir]);
    await rm(work.dir, { recursive: true, force: true });
  });
});
beforeEach(async () => {
  n++;
  dest = join(work.dir, `out${n}`);
  outside = join(work.dir, `outside${n}`);
  await mkdir(outside);
  await writeFile(join(outside, 'victim'), 'untouched');
});

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

async function expectOutsideUntouched(): Promise<void> {
  expect(await readdir(outside)).toEqual(['victim']);
  expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('untouched');
}

test('the whole filesystem: bytes, modes, mtimes and symlinks as debugfs recorded them', async () => {
  const seen: CopiedEntry[] = [];
  let progress = 0;
  const summary = await copyOut(img, ['/'], dest, { onFile: (f) => seen.push(f), onProgress: (b) => { progress += b; } });
  const want = expected.fs4k!.entries;
  for (const [path, e] of Object.entries(want)) {
    const host = join(dest, path);
    if (e.type === 'other') {
      await expect(lstat(host)).rejects.toThrow();
      continue;
    }
    const st = await lstat(host);
    expect({ path, mode: st.mode & 0o7777 }).toEqual({ path, mode: e.mode & 0o777 });
    if (e.type === 'symlink') {
      expect(st.isSymbolicLink()).toBe(true);
      expect(await readlink(host)).toBe(e.target);
      continue;
    }
    expect({ path, mtime: st.mtimeMs / 1000 }).toEqual({ path, mtime: e.mtime });
    if (e.type === 'file') expect({ path, sha: await sha256File(host) }).toEqual({ path, sha: e.sha256 });
    else expect(st.isDirectory()).toBe(true);
  }
  const count = (t: string): number => Object.values(want).filter((e) => e.type === t).length;
  const bytes = Object.values(want).reduce((a, e) => a + (e.type === 'file' ? e.size : 0), 0);
  expect(summary).toEqual({ files: count('file'), dirs: count('dir'), symlinks: count('symlink'), skipped: count('other'), bytes });
  expect(progress).toBe(bytes);
  expect(seen.find((f) => f.path === '/fifo')).toMatchObject({ skipped: 'special file', dest: join(dest, 'fifo') });
  expect(seen.filter((f) => f.skipped === undefined).map((f) => f.path).sort()).toEqual(Object.keys(want).filter((p) => want[p]!.type !== 'other').sort());
  // No .partial files left behind.
  const all = await readdir(dest, { recursive: true });
  expect(all.filter((p) => p.endsWith('.partial'))).toEqual([]);
});

test('one file keeps its path from the root; nothing else is written', async () => {
  await copyOut(img, ['/home/user/Documents/日本語.md'], dest);
  expect(await readdir(dest, { recursive: true })).toEqual(['home', 'home/user', 'home/user/Documents', 'home/user/Documents/日本語.md']);
  expect(await sha256File(join(dest, 'home/user/Documents/日本語.md'))).toBe(expected.fs4k!.entries['/home/user/Documents/日本語.md']!.sha256);
});

test('folders on the way to a copied path are made 0755 (less the umask), not 0700 (issue 16)', async () => {
  const umask = process.umask();
  await copyOut(img, ['/home/user/Documents/日本語.md'], dest);
  for (const d of ['home', 'home/user', 'home/user/Documents']) expect((await lstat(join(dest, d))).mode & 0o777).toBe(0o755 & ~umask);
});

test('a refusal to overwrite names the option as the CLI spells it, --force (issue 16)', async () => {
  await copyOut(img, ['/hello.txt'], dest);
  expect(await rejection(copyOut(img, ['/hello.txt'], dest))).toMatchObject({ message: expect.stringContaining('use --force') });
});

test('a destination folder that cannot be created fails at once, naming it (Node\'s mkdir -p loops forever under /proc)', async () => {
  expect(await rejection(copyOut(img, ['/hello.txt'], '/proc/qubes-backup-test/out'))).toMatchObject({
    code: 'E_IO', message: expect.stringContaining("'/proc/qubes-backup-test'"),
  });
});

test('a destination whose parents are missing is made with them', async () => {
  await copyOut(img, ['/hello.txt'], join(dest, 'a', 'b'));
  expect(await readFile(join(dest, 'a', 'b', 'hello.txt'), 'utf8')).toBe('Hello, ext4!\n');
});

test('an existing file is kept unless force', async () => {
  await copyOut(img, ['/hello.txt'], dest);
  await writeFile(join(dest, 'hello.txt'), 'mine');
  expect(await rejection(copyOut(img, ['/hello.txt'], dest))).toMatchObject({ code: 'E_EXISTS' });
  expect(await readFile(join(dest, 'hello.txt'), 'utf8')).toBe('mine');
  await copyOut(img, ['/hello.txt'], dest, { force: true });
  expect(await readFile(join(dest, 'hello.txt'), 'utf8')).toBe('Hello, ext4!\n');
  // A directory is never replaced by a file, even with force.
  await mkdir(join(dest, 'empty'));
  expect(await rejection(copyOut(img, ['/empty'], dest, { force: true }))).toMatchObject({ code: 'E_EXISTS' });
});

test('resume keeps a complete file, copies a stale .partial again, and still never follows a symlink', async () => {
  await mkdir(join(dest, 'home', 'user'), { recursive: true });
  await writeFile(join(dest, 'hello.txt'), 'complete before');
  await writeFile(join(dest, 'home', 'user', 'a.txt.partial'), 'cut');
  const kept: string[] = [];
  await copyOut(img, ['/hello.txt', '/home/user/a.txt'], dest, { resume: true, onFile: (f) => { if (f.kept) kept.push(f.path); } });
  expect(kept).toEqual(['/hello.txt']);
  expect(await readFile(join(dest, 'hello.txt'), 'utf8')).toBe('complete before');
  expect(await readdir(join(dest, 'home', 'user'))).toEqual(['a.txt']);
  await rm(join(dest, 'hello.txt'));
  await symlink(join(outside, 'victim'), join(dest, 'hello.txt'));
  expect(await rejection(copyOut(img, ['/hello.txt'], dest, { resume: true }))).toMatchObject({ code: 'E_EXISTS' });
  await expectOutsideUntouched();
});

test('never writes through a symlink already in the destination', async () => {
  await mkdir(dest);
  await symlink(outside, join(dest, 'home'));
  expect(await rejection(copyOut(img, ['/home/user/a.txt'], dest))).toMatchObject({ code: 'E_UNSAFE_PATH' });
  expect(await rejection(copyOut(img, ['/home'], dest, { force: true }))).toMatchObject({ code: 'E_UNSAFE_PATH' });
  await expectOutsideUntouched();
});

test('a symlink at the target name is replaced (with force), not followed', async () => {
  await mkdir(dest);
  await symlink(join(outside, 'victim'), join(dest, 'hello.txt'));
  expect(await rejection(copyOut(img, ['/hello.txt'], dest))).toMatchObject({ code: 'E_EXISTS' });
  await copyOut(img, ['/hello.txt'], dest, { force: true });
  expect((await lstat(join(dest, 'hello.txt'))).isFile()).toBe(true);
  await expectOutsideUntouched();
});

test('a symlink planted at name.partial is not followed', async () => {
  await mkdir(dest);
  await symlink(join(outside, 'victim'), join(dest, 'hello.txt.partial'));
  expect(await rejection(copyOut(img, ['/hello.txt'], dest))).toMatchObject({ code: 'E_EXISTS', message: expect.stringContaining('.partial exists') });
  await expectOutsideUntouched();
  await copyOut(img, ['/hello.txt'], dest, { force: true });
  expect(await readFile(join(dest, 'hello.txt'), 'utf8')).toBe('Hello, ext4!\n');
  await expectOutsideUntouched();
});

test('never follows a symlink it created itself', async () => {
  // dirlink -> Documents is written as a symlink; a later path through it must not write into Documents.
  const err = await rejection(copyOut(img, ['/home/user/dirlink', '/home/user/dirlink/日本語.md'], dest));
  expect(err).toMatchObject({ code: 'E_UNSAFE_PATH' });
  expect((await lstat(join(dest, 'home/user/dirlink'))).isSymbolicLink()).toBe(true);
  await expect(lstat(join(dest, 'home/user/Documents'))).rejects.toThrow();
});

test('an absolute symlink is recreated verbatim and never dereferenced on the host', async () => {
  await copyOut(img, ['/home/user/abs-link'], dest);
  expect(await readlink(join(dest, 'home/user/abs-link'))).toBe('/etc/passwd');
});

test('read-only directories still receive their contents, then get their mode', async () => {
  await copyOut(img, ['/readonly-dir'], dest);
  expect((await lstat(join(dest, 'readonly-dir'))).mode & 0o777).toBe(0o555);
  expect(await readFile(join(dest, 'readonly-dir/f.txt'), 'utf8')).toBe('read only\n');
});

describe('hostile names (a crafted ext2 image)', () => {
  let evil: Ext4Image;
  beforeAll(async () => {
    evil = await openImage(work.image('evil'));
  });
  afterAll(async () => evil.close());

  test('names with "/" or NUL are listed as unreadable, a fake ".." is hidden', async () => {
    const l = await evil.list('/evil');
    expect(l.map((e) => [e.name, e.type])).toEqual([['a/b', 'other'], ['n\0l', 'other'], ['ok.txt', 'file']]);
  });

  test('copyOut refuses them and writes nothing outside', async () => {
    expect(await rejection(copyOut(evil, ['/evil'], dest))).toMatchObject({ code: 'E_UNSAFE_PATH', message: expect.stringContaining('"/" in a name') });
    await expectOutsideUntouched();
    await copyOut(evil, ['/evil/ok.txt'], dest);
    expect(await readFile(join(dest, 'evil/ok.txt'), 'utf8')).toBe('ok\n');
  });
});

test('abort stops a copy and leaves no partial file', async () => {
  const ac = new AbortController();
  const err = await rejection(copyOut(img, ['/big.bin'], dest, { signal: ac.signal, onProgress: () => ac.abort() }));
  expect((err as unknown as Error).name).toBe('AbortError');
  expect(await readdir(dest)).toEqual([]);
});

test('copying does not change the image file', async () => {
  await copyOut(img, ['/'], await mkdtemp(join(work.dir, 'again-')));
  expect(await sha256File(work.image('fs4k'))).toBe(expected.fs4k!.imageSha256);
});
