// A folder of an archive (a Qubes dom0 home, a Borg archive) saved as a zip reads the backup once
// for all its files, not once per file: real backups opened as the page opens them (File objects
// from node:fs), the reads of the backup's archives counted, the zip read back by unzip.
import { describe, expect, test } from '@jest/globals';
import { portableRegistry } from '@qubes-backup/all';
import type { OpenedBackup } from '@qubes-backup/core';
import { fakeMember } from '@qubes-backup/testkit';
import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveTree } from '../src/archive-tree.js';
import { folderSource } from '../src/dir-source.js';
import { blobSource } from '../src/file-source.js';
import { openInPage } from '../src/open-backup.js';
import type { FileWriter } from '../src/save.js';
import { saveFolderAsZip } from '../src/zip-folder.js';
import { readJson } from './page-helpers.js';
import { pythonRead, zipReadersMissing } from './zip-readers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const registry = portableRegistry();
const crc32 = registry.get('hash', 'crc32');

/** `opened` with every `archives()` call counted: each is one read of the backup's archives of a unit. */
function counted(opened: OpenedBackup): { opened: OpenedBackup; reads: () => number } {
  let n = 0;
  const proxy = new Proxy(opened, {
    get(target, key) {
      if (key === 'archives') return (...a: Parameters<OpenedBackup['archives']>) => { n++; return target.archives(...a); };
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { opened: proxy, reads: () => n };
}

/** A target keeping the zip's bytes; `read()` writes them to a file and reads it back with Python's zipfile (sha256 by name). */
function zipTarget(): { writer: FileWriter; read: () => Record<string, string> } {
  const parts: Buffer[] = [];
  return {
    writer: { async start() {}, async write(_o, b) { parts.push(Buffer.from(b)); }, async finish() {}, async abort() {} },
    read() {
      const file = join(mkdtempSync(join(tmpdir(), 'archive-zip-')), 'out.zip');
      writeFileSync(file, Buffer.concat(parts));
      const { bad, entries } = pythonRead(file);
      expect(bad).toBeNull();
      return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.sha256]));
    },
  };
}

/** Every file below `dir` as the page gets it from a folder input (`webkitRelativePath` from the folder's name). */
async function folderFiles(dir: string): Promise<File[]> {
  const out: File[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) await walk(p);
      else {
        const f = new File([await openAsBlob(p)], e);
        Object.defineProperty(f, 'webkitRelativePath', { value: `${basename(dir)}/${relative(dir, p)}` });
        out.push(f);
      }
    }
  };
  await walk(dir);
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

(zipReadersMissing ? describe.skip : describe)('a folder of an archive as one zip', () => {
  test('v4 dom0 home: listed in one read, its 3 files zipped in one more, each sha256 as the manifest says', async () => {
    const dir = join(ROOT, 'test-fixtures/v4-sample');
    const m = readJson<{ passphrase: string; backup_file: string; files: { path: string; sha256?: string }[] }>(join(dir, 'manifest.json'));
    const file = join(dir, m.backup_file);
    const backup = await openInPage({ kind: 'file', source: blobSource(await openAsBlob(file), m.backup_file) }, { registry, passphrase: m.passphrase });
    const { opened, reads } = counted(backup);
    const tree = await archiveTree(opened, 'dom0');
    expect(reads()).toBe(1);
    const [top] = await tree.list('');
    const t = zipTarget();
    await saveFolderAsZip(tree, top!.name, top!, t.writer, crc32);
    expect(reads()).toBe(2);
    const want = m.files.filter((f) => f.path.startsWith('dom0-home/') && f.sha256);
    expect(want.length).toBe(3);
    const got = t.read();
    for (const f of want) expect(got[f.path.slice('dom0-home/'.length)]).toBe(f.sha256);
  }, 60_000);

  test('Borg archive home/user: one read for all its files (hardlinks included), sha256 as borg says', async () => {
    const dir = join(ROOT, 'test-fixtures/borg/repokey-lz4');
    const m = readJson<{ passphrase: string; archives: { name: string; files: { path: string; type: string; sha256?: string }[] }[] }>(join(dir, 'expected.json'));
    const backup = await openInPage({ kind: 'directory', dir: folderSource(await folderFiles(join(dir, 'repo'))) }, { registry, passphrase: m.passphrase });
    const { opened, reads } = counted(backup);
    const tree = await archiveTree(opened, 'second');
    const t = zipTarget();
    await saveFolderAsZip(tree, 'home/user', { name: 'user', type: 'dir', size: 0 }, t.writer, crc32);
    expect(reads()).toBe(2);
    const want = m.archives.find((a) => a.name === 'second')!.files.filter((f) => f.path.startsWith('home/user/') && f.type === 'file' && f.sha256);
    expect(want.length).toBeGreaterThan(5);
    const got = t.read();
    for (const f of want) expect(got[`user/${f.path.slice('home/user/'.length)}`]).toBe(f.sha256);
  }, 60_000);

  test("tar's data-less hardlinks come after the one read, from their targets, in the zip's planned order", async () => {
    const a = new TextEncoder().encode('first file\n');
    const c = new TextEncoder().encode('third file\n');
    const members = [
      fakeMember('h/top/z-link', new Uint8Array(0), { type: 'hardlink', linkTarget: 'h/top/c.txt', size: 0 }),
      fakeMember('h/top/c.txt', c),
      fakeMember('h/top/a-link', new Uint8Array(0), { type: 'hardlink', linkTarget: 'h/top/a.txt', size: 0 }),
      fakeMember('h/top/a.txt', a),
    ];
    const backup = {
      info: {}, display: {},
      async *archives() { yield { unit: 'u', path: 'h', prefix: 'h/', async *members() { yield* members; } }; },
    } as unknown as OpenedBackup;
    const { opened, reads } = counted(backup);
    const tree = await archiveTree(opened, 'u');
    const t = zipTarget();
    await saveFolderAsZip(tree, 'top', { name: 'top', type: 'dir', size: 0 }, t.writer, crc32);
    const got = t.read();
    expect(got).toEqual({ 'top/': sha(new Uint8Array(0)), 'top/z-link': sha(c), 'top/c.txt': sha(c), 'top/a-link': sha(a), 'top/a.txt': sha(a) });
    // One listing, one read for the files with data, one per data-less hardlink.
    expect(reads()).toBe(4);
  });
});
