// makeDirs: destination and work folders made with one mkdir per missing folder, every failure an
// IoError naming the folder in the way (Node's mkdir -p loops forever under /proc, issue 16).
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '@qubes-backup/restore';
import { rejection } from '@qubes-backup/testkit';

let work = '';
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'qbt-dirs-')); });
afterEach(() => { rmSync(work, { recursive: true, force: true }); });

test('makes the missing folders of a path, each with the mode less the umask; an existing folder is fine', async () => {
  const deep = join(work, 'a', 'b', 'c');
  await makeDirs(deep, 0o750);
  for (const d of [join(work, 'a'), join(work, 'a', 'b'), deep]) expect(statSync(d).mode & 0o777).toBe(0o750 & ~process.umask());
  await makeDirs(deep);
  await makeDirs(`${deep}/`);
});

test('a parent that takes no new entries (/proc) fails at once, naming the folder', async () => {
  expect(await rejection(makeDirs('/proc/qubes-backup-test/a/b'))).toMatchObject({
    code: 'E_IO', message: expect.stringContaining("'/proc/qubes-backup-test'"),
  });
});

test('a file in the way, at the path or above it, is E_EXISTS naming the file', async () => {
  const file = join(work, 'file');
  writeFileSync(file, 'x');
  for (const p of [file, join(file, 'below', 'deeper')]) {
    expect(await rejection(makeDirs(p))).toMatchObject({ code: 'E_EXISTS', message: `'${file}' exists and is not a folder` });
  }
});

test('a symlink to nothing on the way is named as one', async () => {
  const dangling = join(work, 'dangling');
  symlinkSync(join(work, 'nowhere'), dangling);
  expect(await rejection(makeDirs(join(dangling, 'out')))).toMatchObject({
    code: 'E_EXISTS', message: expect.stringMatching(`'${dangling}': it is a symlink to nothing`),
  });
});

test('a symlink to a folder is followed, as a destination given through a link should be', async () => {
  const real = join(work, 'real');
  await makeDirs(real);
  symlinkSync(real, join(work, 'link'));
  await makeDirs(join(work, 'link', 'out'));
  expect(statSync(join(real, 'out')).isDirectory()).toBe(true);
});
