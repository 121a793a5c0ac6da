import { UsageError, withMember, type Member, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import type { FileWriter } from './save.js';
import { byTypeThenName, type TreeEntry, type TreeSource } from './tree-source.js';

/**
 * A unit's stored file trees (a Borg archive, a Qubes dom0 home) as a TreeSource. Listing reads
 * the members' headers once, without their data; saving a file reads the unit's archives again and
 * only that member's data.
 */
export async function archiveTree(opened: OpenedBackup, unit: string, opts: ReadOptions = {}): Promise<TreeSource> {
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  const folders = new Map<string, Map<string, TreeEntry>>([['', new Map()]]);
  const folder = (path: string): Map<string, TreeEntry> => {
    let f = folders.get(path);
    if (!f) {
      f = new Map();
      folders.set(path, f);
      const cut = path.lastIndexOf('/');
      const name = path.slice(cut + 1);
      folder(cut < 0 ? '' : path.slice(0, cut)).set(name, { name, type: 'dir', size: 0 });
    }
    return f;
  };
  for await (const archive of opened.archives((a) => a.unit === unit, rd)) {
    for await (const m of archive.members({ ...rd, wanted: () => false })) {
      const path = relative(m, archive.prefix);
      if (path === '') continue;
      if (m.type === 'dir') { folder(path); continue; }
      const cut = path.lastIndexOf('/');
      const name = path.slice(cut + 1);
      const type = m.type === 'file' || m.type === 'hardlink' ? 'file' : m.type === 'symlink' ? 'symlink' : 'other';
      folder(cut < 0 ? '' : path.slice(0, cut)).set(name, { name, type, size: m.size, mode: m.mode & 0o7777, mtime: m.mtime, ...(m.linkTarget !== undefined ? { target: m.linkTarget } : {}) });
    }
  }
  return {
    title: unit,
    async list(path) {
      const f = folders.get(path);
      if (!f) throw new UsageError(`'${path}' is not a folder of ${unit}`);
      return [...f.values()].sort(byTypeThenName);
    },
    save: (path, writer, o) => saveMember(opened, unit, path, writer, o),
  };
}

/** A member's path below its archive's prefix, without leading or trailing slashes. */
function relative(m: Member, prefix: string): string {
  const p = m.path.startsWith(prefix) ? m.path.slice(prefix.length) : m.path;
  return p.replace(/^\/+|\/+$/g, '');
}

async function saveMember(opened: OpenedBackup, unit: string, path: string, writer: FileWriter, opts: ReadOptions = {}): Promise<void> {
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  let prefix = '';
  const wanted = (m: Member) => relative(m, prefix) === path && m.type === 'file';
  let found = false;
  try {
    for await (const archive of opened.archives((a) => a.unit === unit, rd)) {
      prefix = archive.prefix;
      for await (const m of archive.members({ ...rd, wanted })) {
        if (found || !wanted(m)) continue;
        found = true;
        try {
          await writer.start(m.size, path.slice(path.lastIndexOf('/') + 1));
          for await (const e of m.extents(rd)) {
            await writer.write(e.offset, e.bytes);
            opts.onProgress?.(e.bytes.length);
          }
        } catch (e) {
          throw withMember(e, m.path);
        }
      }
    }
    if (!found) throw new UsageError(`'${path}' is not a file of ${unit}`);
    await writer.finish();
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
}
