import { UsageError, withMember, type Member, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import type { FileWriter } from './save.js';
import { byTypeThenName, type TreeEntry, type TreeSource } from './tree-source.js';

/**
 * A unit's stored file trees (a Borg archive, a Qubes dom0 home) as a TreeSource. Listing reads
 * the members' headers once, without their data; saving a file reads the unit's archives again and
 * only that member's data; saving many (a folder's zip) reads them once for all.
 */
export async function archiveTree(opened: OpenedBackup, unit: string, opts: ReadOptions = {}): Promise<TreeSource> {
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  const folders = new Map<string, Map<string, TreeEntry>>([['', new Map()]]);
  const folder = (path: string): Map<string, TreeEntry> => {
    let f = folders.get(path);
    if (!f) {
      f = new Map();
      folders.set(path, f);
      const { parent, name } = splitPath(path);
      folder(parent).set(name, { name, type: 'dir', size: 0 });
    }
    return f;
  };
  // Hardlinks that carry no data of their own (tar's): listed with their target's size once all is read.
  const dataless: { folder: Map<string, TreeEntry>; name: string; target: string }[] = [];
  // Where each file's data comes in the archives (its first member, which `save` takes), for
  // `saveMany`; data-less hardlinks after all the others, in their own order.
  const position = new Map<string, number>();
  for await (const archive of opened.archives((a) => a.unit === unit, rd)) {
    for await (const m of archive.members({ ...rd, wanted: () => false })) {
      const path = relativePath(m.path, archive.prefix);
      if (path === '') continue;
      if ((m.type === 'file' || m.type === 'hardlink') && !position.has(path)) position.set(path, (isDataless(m) ? AFTER_DATA : 0) + position.size);
      if (m.type === 'dir') folder(path); // made first, so its own entry (below) replaces the one it implied
      const { parent, name } = splitPath(path);
      const type = m.type === 'dir' ? 'dir' : m.type === 'file' || m.type === 'hardlink' ? 'file' : m.type === 'symlink' ? 'symlink' : 'other';
      // Mode and time, for a zip; folders only implied by their members' paths have none.
      const holder = folder(parent);
      holder.set(name, {
        name, type, size: type === 'dir' ? 0 : m.size, mode: m.mode & 0o7777, mtime: m.mtime,
        ...(type !== 'dir' && m.linkTarget !== undefined ? { target: m.linkTarget } : {}),
      });
      if (isDataless(m)) dataless.push({ folder: holder, name, target: relativePath(m.linkTarget!, archive.prefix) });
    }
  }
  for (const d of dataless) {
    const { parent, name } = splitPath(d.target);
    const target = folders.get(parent)?.get(name);
    const entry = d.folder.get(d.name)!;
    if (target?.type === 'file') d.folder.set(d.name, { ...entry, size: target.size });
  }
  return {
    title: unit,
    async list(path) {
      const f = folders.get(path);
      if (!f) throw new UsageError(`'${path}' is not a folder of ${unit}`);
      return [...f.values()].sort(byTypeThenName);
    },
    save: (path, writer, o) => saveMember(opened, unit, path, writer, o),
    many: {
      // A tar's data-less hardlinks come last: saveMany saves them from their targets after its one read.
      readingOrder: (paths) => [...paths].sort((a, b) => (position.get(a) ?? 2 * AFTER_DATA) - (position.get(b) ?? 2 * AFTER_DATA)),
      saveMany: (paths, open, o) => saveMembers(opened, unit, paths, open, o),
    },
  };
}

/** Added to a data-less hardlink's position: saved after every member with data. */
const AFTER_DATA = 2 ** 40;

/** A stored path below its archive's prefix, without leading or trailing slashes. */
function relativePath(path: string, prefix: string): string {
  const p = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  return p.replace(/^\/+|\/+$/g, '');
}

/** `a/b/c` → folder `a/b`, name `c`; a top-level name's folder is `''`. */
function splitPath(path: string): { parent: string; name: string } {
  const cut = path.lastIndexOf('/');
  return { parent: cut < 0 ? '' : path.slice(0, cut), name: path.slice(cut + 1) };
}

/**
 * A hardlink whose bytes are its target's: Borg's carry their master's chunks (and size), tar's
 * carry nothing, so those are saved from the member they name.
 */
function isDataless(m: Member): boolean {
  return m.type === 'hardlink' && m.size === 0 && m.linkTarget !== undefined;
}

/** One file into `writer` (aborted on any failure, the file not found included): `saveMembers` for one path. */
async function saveMember(opened: OpenedBackup, unit: string, path: string, writer: FileWriter, opts: ReadOptions = {}, depth = 0): Promise<void> {
  try {
    await saveMembers(opened, unit, [path], () => writer, opts, depth);
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
}

/**
 * The files `paths` (in the order `readingOrder` gave) in one read of the unit's archives, each into
 * the writer `open` gives for it; data-less hardlinks after that read, from their targets (one level
 * only, `depth` 1 there: a hardlink names a file, never another hardlink). A path's first member counts.
 */
async function saveMembers(
  opened: OpenedBackup, unit: string, paths: readonly string[], open: (path: string) => FileWriter, opts: ReadOptions = {}, depth = 0,
): Promise<void> {
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  const pending = new Set(paths);
  const later: { path: string; target: string }[] = [];
  let prefix = '';
  const wanted = (m: Member) => (m.type === 'file' || m.type === 'hardlink') && pending.has(relativePath(m.path, prefix));
  for await (const archive of opened.archives((a) => a.unit === unit, rd)) {
    prefix = archive.prefix;
    for await (const m of archive.members({ ...rd, wanted })) {
      if (!wanted(m)) continue;
      const path = relativePath(m.path, prefix);
      pending.delete(path);
      if (isDataless(m) && depth === 0) later.push({ path, target: relativePath(m.linkTarget!, prefix) });
      else await writeMember(m, path, open(path), opts);
    }
  }
  if (pending.size > 0) throw new UsageError(`'${[...pending][0]}' is not a file of ${unit}`);
  // One read each, of the file the hardlink names.
  for (const { path, target } of later) await saveMember(opened, unit, target, open(path), opts, 1);
}

/** One member's data into `writer`, from start to finish; errors name the member. */
async function writeMember(m: Member, path: string, writer: FileWriter, opts: ReadOptions): Promise<void> {
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  try {
    await writer.start(m.size, path.slice(path.lastIndexOf('/') + 1));
    for await (const e of m.extents(rd)) {
      await writer.write(e.offset, e.bytes);
      opts.onProgress?.(e.bytes.length);
    }
  } catch (e) {
    throw withMember(e, m.path);
  }
  await writer.finish();
}
