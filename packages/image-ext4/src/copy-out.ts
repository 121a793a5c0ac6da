// Extracting files and trees from an opened image to a host directory, safely: every name is checked, nothing is
// written through a symlink, files appear only complete (written as `name.partial`, then renamed).
import { lstat, lutimes, mkdir, open, rename, stat, symlink, unlink, utimes, chmod } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IoError, UnsafePathError, isQubesBackupError } from '@qubes-backup/core';
import { assertSafeName, decodeName, toFsPath } from './_paths.js';
import type { DirEntry } from './entry.js';
import { RAW, type Ext4Image, type RawAccess } from './image.js';

export interface CopyOutOptions {
  /** Replace existing files and symlinks (never a directory by a file, nor the reverse). Default false. */
  force?: boolean;
  /**
   * Go on from an interrupted copy into the same folder: a regular file already there is kept (files
   * are renamed only once complete), a `.partial` is written again, symlinks are made again.
   */
  resume?: boolean;
  signal?: AbortSignal;
  /** Called once per entry after it is written (or skipped: devices, FIFOs and sockets are not extracted). */
  onFile?: (file: CopiedEntry) => void;
  /** Called with the byte count of each chunk written. */
  onProgress?: (bytes: number) => void;
}

export interface CopiedEntry {
  /** Absolute path inside the filesystem. */
  path: string;
  /** Where it was written on the host. */
  dest: string;
  entry: DirEntry;
  /** Set when nothing was written. */
  skipped?: 'special file';
  /** Complete from an interrupted copy, kept (`resume`). */
  kept?: true;
}

export interface CopyOutSummary {
  files: number;
  dirs: number;
  symlinks: number;
  skipped: number;
  bytes: number;
}

const PERMISSIONS = 0o777;

/**
 * Copies `paths` (files, symlinks or whole directories) from the image to `destDir`, keeping each one's path from
 * the filesystem root (`/home/user/a.txt` → `destDir/home/user/a.txt`), its mtime and permission bits (not its
 * owner; setuid, setgid and sticky bits are dropped). Symlinks are recreated as symlinks and never followed.
 * `destDir` is created if missing, with its parents.
 */
export async function copyOut(image: Ext4Image, paths: readonly string[], destDir: string, opts: CopyOutOptions = {}): Promise<CopyOutSummary> {
  const raw: RawAccess = image[RAW];
  const root = resolve(destDir);
  await ensureRoot(root);
  const summary: CopyOutSummary = { files: 0, dirs: 0, symlinks: 0, skipped: 0, bytes: 0 };
  const ctx: Ctx = { raw, opts, summary };
  for (const p of paths) {
    opts.signal?.throwIfAborted();
    const fsPath = toFsPath(p);
    const parts = fsPath.length === 1 ? [] : splitPath(fsPath);
    let host = root;
    for (const part of parts.slice(0, -1)) {
      assertSafeName(part, decodeName(fsPath));
      host = join(host, decodeName(part));
      await ensureDir(host, decodeName(fsPath), WAY_MODE);
    }
    const entry = await raw.stat(fsPath);
    if (parts.length === 0) {
      await copyChildren(ctx, fsPath, root);
    } else {
      const last = parts[parts.length - 1]!;
      assertSafeName(last, decodeName(fsPath));
      await copyEntry(ctx, fsPath, entry, join(host, decodeName(last)));
    }
  }
  return summary;
}

interface Ctx {
  raw: RawAccess;
  opts: CopyOutOptions;
  summary: CopyOutSummary;
}

function splitPath(p: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= p.length; i++) {
    if (i === p.length || p[i] === 0x2f) {
      parts.push(p.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

async function lstatOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(e, p);
  }
}

function ioError(e: unknown, dest: string): Error {
  if (isQubesBackupError(e) || (e as Error)?.name === 'AbortError') return e as Error;
  const code = (e as NodeJS.ErrnoException)?.code;
  return new IoError(`cannot write: ${(e as Error)?.message ?? String(e)}`, { member: dest, cause: e }, code === 'ENOSPC' || code === 'EDQUOT' ? 'E_DISK_FULL' : 'E_IO');
}

/**
 * Folders on the way to a copied path (`home`, `home/user` for /home/user/a.txt) are made as mkdir
 * would (less the umask); they are the user's, not copies. A copied folder is made private until its
 * own mode is set, after its children.
 */
const WAY_MODE = 0o755;
const COPYING_MODE = 0o700;

/**
 * The destination folder and its missing parents, one mkdir each, parents first. Node's `mkdir -p`
 * would retry forever where a parent takes no new entries (/proc). (restore's makeDirs does the same
 * for extract; a part may not import the engine, and core reaches no file system.)
 */
async function ensureRoot(root: string): Promise<void> {
  const st = await stat(root).catch(() => null);
  if (st?.isDirectory()) return;
  const parent = dirname(root);
  if (st === null && parent !== root) await ensureRoot(parent);
  try {
    await mkdir(root, { mode: 0o777 });
  } catch (e) {
    const cause = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists and is not a folder' : (e as Error).message;
    throw new IoError(`cannot create the destination folder '${root}': ${cause}`, { cause: e }, st ? 'E_EXISTS' : 'E_IO');
  }
}

/** A directory on the path to something being written: created if missing, refused if it is anything else. */
async function ensureDir(host: string, member: string, mode = COPYING_MODE): Promise<boolean> {
  const st = await lstatOrNull(host);
  if (st === null) {
    try {
      await mkdir(host, { mode });
    } catch (e) {
      throw ioError(e, host);
    }
    return true;
  }
  if (st.isSymbolicLink()) throw new UnsafePathError(`refusing to write through the symlink ${host}`, { member });
  if (!st.isDirectory()) throw new IoError(`${host} exists and is not a directory`, { member }, 'E_EXISTS');
  return false;
}

/** Clears the way for a file or symlink at `host`: refuses unless `force`, and never removes a directory. */
async function makeRoom(host: string, member: string, force: boolean): Promise<void> {
  const st = await lstatOrNull(host);
  if (st === null) return;
  if (st.isDirectory()) throw new IoError(`${host} exists and is a directory`, { member }, 'E_EXISTS');
  if (!force) throw new IoError(`${host} already exists (use --force to overwrite)`, { member }, 'E_EXISTS');
}

async function copyEntry(ctx: Ctx, fsPath: Buffer, entry: DirEntry, host: string): Promise<void> {
  const { opts, summary } = ctx;
  opts.signal?.throwIfAborted();
  const member = decodeName(fsPath);
  const report = (skipped?: 'special file'): void => {
    opts.onFile?.(skipped === undefined ? { path: member, dest: host, entry } : { path: member, dest: host, entry, skipped });
  };
  switch (entry.type) {
    case 'dir': {
      await ensureDir(host, member);
      await copyChildren(ctx, fsPath, host);
      try {
        // After the children: a read-only directory would refuse them.
        await chmod(host, entry.mode & PERMISSIONS);
        await utimes(host, entry.mtime, entry.mtime);
      } catch (e) {
        throw ioError(e, host);
      }
      summary.dirs++;
      report();
      return;
    }
    case 'symlink': {
      const replace = opts.force === true || opts.resume === true;
      await makeRoom(host, member, replace);
      try {
        if (replace) await unlink(host).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
        await symlink(entry.target ?? '', host);
        await lutimes(host, entry.mtime, entry.mtime).catch(() => undefined);
      } catch (e) {
        throw ioError(e, host);
      }
      summary.symlinks++;
      report();
      return;
    }
    case 'file':
      if (opts.resume === true && (await lstatOrNull(host))?.isFile()) {
        summary.files++;
        opts.onFile?.({ path: member, dest: host, entry, kept: true });
        return;
      }
      await makeRoom(host, member, opts.force === true);
      await writeFile(ctx, fsPath, entry, host);
      summary.files++;
      report();
      return;
    default:
      summary.skipped++;
      report('special file');
  }
}

async function copyChildren(ctx: Ctx, fsPath: Buffer, host: string): Promise<void> {
  for (const child of await ctx.raw.list(fsPath)) {
    assertSafeName(child.name, decodeName(child.raw));
    await copyEntry(ctx, child.raw, child.entry, join(host, decodeName(child.name)));
  }
}

async function writeFile(ctx: Ctx, fsPath: Buffer, entry: DirEntry, host: string): Promise<void> {
  const { opts, summary } = ctx;
  const partial = `${host}.partial`;
  let fh;
  try {
    // 'wx' is O_CREAT|O_EXCL: it never opens an existing file, nor follows a symlink planted at `partial`.
    fh = await open(partial, 'wx', 0o600).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST' || (opts.force !== true && opts.resume !== true)) throw e;
      await unlink(partial);
      return open(partial, 'wx', 0o600);
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IoError(`${partial} exists, left by an interrupted copy (use --resume to go on, or --force to start over)`, { member: decodeName(fsPath) }, 'E_EXISTS');
    }
    throw ioError(e, partial);
  }
  let ok = false;
  try {
    for await (const chunk of ctx.raw.read(fsPath, opts.signal ? { signal: opts.signal } : {})) {
      try {
        await fh.write(chunk);
      } catch (e) {
        throw ioError(e, partial);
      }
      summary.bytes += chunk.length;
      opts.onProgress?.(chunk.length);
    }
    try {
      await fh.chmod(entry.mode & PERMISSIONS);
      await fh.utimes(entry.mtime, entry.mtime);
      await fh.close();
      await rename(partial, host);
    } catch (e) {
      throw ioError(e, host);
    }
    ok = true;
  } finally {
    if (!ok) {
      await fh.close().catch(() => undefined);
      await unlink(partial).catch(() => undefined);
    }
  }
}
