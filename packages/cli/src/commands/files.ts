import { openImage, type DirEntry } from '@qubes-backup/image-ext4';
import { list, type ListedEntry } from '@qubes-backup/restore';
import { browsable, type ImageFlags } from './image-input.js';
import { table } from './shared.js';
import { printJson } from '../json-answer.js';

export interface FilesFlags extends ImageFlags {
  long?: boolean;
  recursive?: boolean;
}

/** Lists a directory inside a VM disk image (or a VM of a backup), without root or mount. */
export async function filesCommand(input: string, path: string | undefined, flags: FilesFlags): Promise<void> {
  const img = await browsable(input, flags);
  try {
    if (img.kind === 'tree') return await listTree(img.opened, path, flags);
    const image = await openImage(img.path);
    try {
      if (image.info.filesystem.needsRecovery) {
        process.stderr.write('warning: the filesystem journal was not replayed; the last changes before the backup may be missing\n');
      }
      const root = path ?? '/';
      const entries: { path: string; entry: DirEntry }[] = [];
      if (flags.recursive) {
        for await (const w of image.walk(root)) entries.push(w);
      } else {
        const st = await image.stat(root);
        if (st.type === 'dir') for (const e of await image.list(root)) entries.push({ path: join(root, e.name), entry: e });
        else entries.push({ path: root, entry: st });
      }
      if (flags.json) {
        // `linkTarget`, as an archive's listing calls a symlink's target, so one schema fits both.
        return printJson(true, {
          entries: entries.map(({ path: p, entry: { target, ...e } }) => ({
            ...e, path: p, ...(target !== undefined ? { linkTarget: target } : {}), mtime: e.mtime.toISOString(),
          })),
        });
      }
      if (!flags.long) {
        for (const { path: p, entry: e } of entries) process.stdout.write(`${flags.recursive ? p : e.name}${e.type === 'dir' ? '/' : ''}\n`);
        return;
      }
      const rows = entries.map(({ path: p, entry: e }) => [
        modeString(e), String(e.size), e.mtime.toISOString().replace('T', ' ').slice(0, 19),
        (flags.recursive ? p : e.name) + (e.target !== undefined ? ` -> ${e.target}` : ''),
      ]);
      if (rows.length) process.stdout.write(table(rows));
    } finally {
      await image.close();
    }
  } finally {
    await img.cleanup();
  }
}

/** A repository archive's items below PATH, read from its item stream (no file data is read). */
async function listTree(opened: Parameters<typeof list>[0], path: string | undefined, flags: FilesFlags): Promise<void> {
  const entries: ListedEntry[] = [];
  const root = path === undefined || path === '/' ? '' : path.replace(/^\/+/, '');
  for await (const e of list(opened, { registry: flags.registry(), path: root, recursive: Boolean(flags.recursive) })) entries.push(e);
  if (flags.json) {
    // Paths from the archive's root as the image listing gives them (`/home/user/a`), so one schema fits both.
    return printJson(true, {
      entries: entries.map((e) => ({
        ...e, path: `/${e.path}`, ...(e.type === 'hardlink' && e.linkTarget !== undefined ? { linkTarget: `/${e.linkTarget}` } : {}),
        mtime: new Date(e.mtime * 1000).toISOString(),
      })),
    });
  }
  const name = (e: ListedEntry) => (flags.recursive || root === '' ? e.path : e.path.slice(root.length + 1) || e.path);
  if (!flags.long) {
    for (const e of entries) process.stdout.write(`${printable(name(e))}${e.type === 'dir' ? '/' : ''}\n`);
    return;
  }
  const rows = entries.map((e) => [
    modeString(e), String(e.size),
    new Date(e.mtime * 1000).toISOString().replace('T', ' ').slice(0, 19),
    printable(name(e)) + (e.linkTarget === undefined ? '' : e.type === 'hardlink' ? ` link to ${printable(e.linkTarget)}` : ` -> ${printable(e.linkTarget)}`),
  ]);
  if (rows.length) process.stdout.write(table(rows));
}

/** Names as people can read them: bytes that are not UTF-8 (kept as lone surrogates) shown as `\xNN`. */
function printable(s: string): string {
  return s.replace(/[\udc80-\udcff]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** `ls -l`'s type letter for entries of disk images and of archives. */
const TYPE_LETTER: Readonly<Record<string, string>> = { dir: 'd', symlink: 'l', file: '-', hardlink: '-', fifo: 'p', char: 'c', block: 'b' };

function modeString(e: { type: string; mode: number }): string {
  const t = TYPE_LETTER[e.type] ?? '?';
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += e.mode & (1 << (8 - i)) ? bits[i] : '-';
  return t + s;
}
