import {
  closeSync, constants as fsc, fchmodSync, ftruncateSync, futimesSync, lstatSync, mkdirSync, openSync, promises as fsp, renameSync, unlinkSync,
  write, writeSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { join, sep } from 'node:path';
import { IoError, UnsafePathError, isQubesBackupError, utf8, withMember, type Member, type ReadOptions } from '@qubes-backup/core';
import { io, ioAsync } from './io-error.js';
import { linkComponents, memberComponents } from './safe-path.js';

/** What happened to one inner member. */
export interface MemberResult {
  readonly member: string;
  /** Output path relative to the destination (`work/private.img`), or undefined when skipped. */
  readonly output?: string;
  readonly type: Member['type'];
  readonly size: number;
  readonly skipped?: string;
  /** Already complete in the destination from an interrupted run, kept unread (`resume`). */
  readonly kept?: true;
}

export interface ArchiveTarget {
  /** The archive's stored path (`vm5/private.img`). */
  readonly path: string;
  /** The prefix to strip from member names (`vm5/`). */
  readonly prefix: string;
  /** The output folder under the destination (`work`, `dom0-home`). */
  readonly outBase: string;
}

/** Receives the members of inner archives. */
export interface Sink {
  member(m: Member, target: ArchiveTarget, opts?: ReadOptions): Promise<MemberResult>;
  /** Called once all archives are written (directory mtimes). */
  finish(): Promise<void>;
  /** Removes what this run wrote under an output folder (a failed unit's partial output). */
  discard?(outBase: string): Promise<void>;
  /** Writes a unit's metadata file (`vm.json`) into its output folder, once the unit restored completely. */
  metadata?(outBase: string, file: string, json: unknown): Promise<void>;
}

/**
 * The path rules, on names alone, so `verify` refuses exactly what `extract` would: only a folder
 * may be named like the unit's own folder; nothing is written through (or in place of) a symlink
 * restored earlier, nor below (or as a folder in place of) a file restored earlier; a hard link
 * must point at a regular file restored earlier from the same archive. A file named twice is
 * restored twice, the later one replacing the earlier (as tar does).
 */
class LinkGuard {
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();

  /** Regular files restored so far, by output path. */
  get restoredFiles(): ReadonlySet<string> {
    return this.files;
  }

  /**
   * The member's output path components (under its unit's folder) once it passes the rules, whether
   * it names a file this run restored, and for a hard link to such a file, that file's components.
   */
  check(m: Member, parts: string[], target: ArchiveTarget): { rel: string[]; again: boolean; linkTo?: string[] } {
    if (parts.length === 0 && m.type !== 'dir') throw new UnsafePathError('a non-directory member names the VM folder itself', { member: m.path });
    const rel = under(target.outBase, parts);
    for (let i = 1; i <= rel.length; i++) {
      const p = rel.slice(0, i).join('/');
      if (this.symlinks.has(p)) {
        throw new UnsafePathError(i < rel.length ? `would write through the symlink '${p}'` : 'would replace a symlink restored before it', { member: m.path });
      }
      if (this.files.has(p) && (i < rel.length || m.type === 'dir')) {
        throw new UnsafePathError(`'${p}' was restored as a file, it cannot be a folder`, { member: m.path });
      }
    }
    let linkTo: string[] | undefined;
    if (m.type === 'hardlink' && !standsAlone(m, this.files, target)) {
      const to = m.linkTarget !== undefined ? linkComponents(m.linkTarget, target.path, target.prefix) : undefined;
      linkTo = to && under(target.outBase, to);
      if (!linkTo || !this.files.has(linkTo.join('/'))) {
        throw new UnsafePathError(`hard link to '${m.linkTarget}' is not a file restored before it from the same archive`, { member: m.path });
      }
    }
    const key = rel.join('/');
    const again = this.files.has(key);
    if (m.type === 'symlink') { this.symlinks.add(key); this.files.delete(key); }
    if (m.type === 'file' || m.type === 'hardlink') this.files.add(key);
    return { rel, again, ...(linkTo ? { linkTo } : {}) };
  }
}

/** Reads every member to the end and writes nothing: `verify`. */
export function nullSink(): Sink {
  const guard = new LinkGuard();
  return {
    async member(m, target, opts) {
      guard.check(m, memberComponents(m.path, target.path, target.prefix), target);
      for await (const _ of m.extents(opts)) { /* read to the end: the tar reader checks lengths */ }
      return { member: m.path, type: m.type, size: m.size };
    },
    async finish() {},
  };
}

export interface DirectorySinkOptions {
  /** Replace existing files (never through symlinks). */
  force?: boolean;
  /**
   * Go on from an interrupted run into the same folder: a regular file already there is kept
   * unread (a run renames a file only once its last byte verified), a `.partial` left behind is
   * written again, and links and metadata are made again.
   */
  resume?: boolean;
}

/**
 * Writes members under a destination folder. Files are written as `name.partial` (created with
 * O_EXCL) and renamed only after their last byte arrived, so an interrupted run never leaves a
 * complete-looking file. Sparse members keep their holes: only data extents are written, then the
 * length is set. Nothing is ever written through a symlink, and nothing outside the destination.
 */
export function directorySink(dest: string, options: DirectorySinkOptions = {}): Sink {
  const safeDirs = new Set<string>();
  /** What this run wrote, by output folder: a failed VM's output is removed unless salvaging. */
  const written = new Map<string, string[]>();
  const note = (outBase: string, path: string) => {
    const list = written.get(outBase);
    if (list) list.push(path); else written.set(outBase, [path]);
  };
  /** Folders' times and modes, set once their unit is written (a 0500 folder must still receive its files). */
  let dirTimes: DirTime[] = [];

  function ensureDir(rel: string[]): string {
    let cur = dest;
    for (const part of rel) {
      cur = join(cur, part);
      if (safeDirs.has(cur)) continue;
      const st = lstatSync(fsPath(cur), { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) throw new UnsafePathError(`refusing to write through symlink '${cur}'`);
      if (st && !st.isDirectory()) throw new UnsafePathError(`'${cur}' exists and is not a directory`);
      if (!st) io(() => mkdirSync(fsPath(cur), { mode: 0o755 }), cur);
      safeDirs.add(cur);
    }
    return cur;
  }

  /**
   * Makes room for a new entry at `path`: what is there is replaced with `force`, when this run
   * wrote it (`again`), or when resuming, else refused.
   */
  function prepareTarget(path: string, again = false): void {
    const st = lstatSync(fsPath(path), { throwIfNoEntry: false });
    if (!st) return;
    if (!options.force && !options.resume && !again) throw new IoError(`'${path}' already exists (use --force to replace it)`, {}, 'E_EXISTS');
    if (st.isDirectory()) throw new IoError(`'${path}' exists and is a directory`, {}, 'E_EXISTS');
    io(() => unlinkSync(fsPath(path)), path);
  }

  /**
   * Before a file is written: with `resume`, a regular file already at `path` is complete (true:
   * keep it). A `.partial` an interrupted run left goes with `resume` or `force`; otherwise it is
   * refused with what to do, and never written into.
   */
  function prepareFile(path: string, again: boolean, partial: string): boolean {
    if (options.resume && !again && lstatSync(fsPath(path), { throwIfNoEntry: false })?.isFile()) return true;
    prepareTarget(path, again);
    preparePartial(partial);
    return false;
  }

  /**
   * The name a file is written under until its last byte verified: `name.partial`, unless this run
   * restored a file of that very name (a home may hold both `data` and `data.partial`), which is
   * no leftover to remove: then `name.partial~` (and so on).
   */
  function partialOf(path: string, key: string): string {
    let suffix = '.partial';
    while (guard.restoredFiles.has(`${key}${suffix}`)) suffix += '~';
    return `${path}${suffix}`;
  }

  /** Restores a regular file at `path` (output `key`) through its temporary name; true when `resume` kept it as it was. */
  async function fileAt(path: string, key: string, again: boolean, m: Member, outBase: string, opts?: ReadOptions): Promise<boolean> {
    const partial = partialOf(path, key);
    if (prepareFile(path, again, partial)) return true;
    note(outBase, partial);
    await writeFile(path, partial, m, opts);
    note(outBase, path);
    return false;
  }

  /** A `.partial` an interrupted run left goes with `resume` or `force`; otherwise it is refused with what to do. */
  function preparePartial(partial: string): void {
    if (lstatSync(fsPath(partial), { throwIfNoEntry: false })) {
      if (!options.force && !options.resume) {
        throw new IoError(`'${partial}' already exists, left by an interrupted run (use --resume to go on, or --force to start over)`, {}, 'E_EXISTS');
      }
      io(() => unlinkSync(fsPath(partial)), partial);
    }
  }

  const guard = new LinkGuard();
  return {
    async member(m, target, opts) {
      try {
        return await writeMember(m, target, opts);
      } catch (e) {
        throw withMember(e, m.path);
      }
    },
    async metadata(outBase, file, json) {
      const path = join(ensureDir(under(outBase, [])), file);
      // Through `.partial` as every file: a run killed while writing it leaves no vm.json that looks complete.
      const partial = `${path}.partial`;
      prepareTarget(path);
      preparePartial(partial);
      note(outBase, partial); // gone with the unit if writing it fails, as a data file's `.partial` is
      await ioAsync(() => fsp.writeFile(fsPath(partial), metadataText(json), { flag: 'wx', mode: 0o644 }), partial);
      io(() => renameSync(fsPath(partial), fsPath(path)), path);
      note(outBase, path);
      // The unit is complete: its folders get their times now (a resumed run never reads it again).
      await setDirTimes(dirTimes.filter((d) => d.outBase === outBase));
    },
    async discard(outBase) {
      for (const p of written.get(outBase) ?? []) await fsp.rm(fsPath(p), { force: true });
      written.delete(outBase);
    },
    async finish() {
      await setDirTimes(dirTimes);
    },
  };

  /** Sets folders' modes and times, once each. */
  async function setDirTimes(dirs: readonly DirTime[]): Promise<void> {
    // Deepest first: a parent's mode may deny the search permission its children's chmod and
    // utimes need (for a user other than root).
    for (const d of [...dirs].sort((a, b) => b.path.split(sep).length - a.path.split(sep).length)) {
      if (d.mode) await fsp.chmod(fsPath(d.path), d.mode).catch(() => undefined);
      await fsp.utimes(fsPath(d.path), d.mtime, d.mtime).catch(() => undefined);
    }
    const set = new Set(dirs);
    dirTimes = dirTimes.filter((d) => !set.has(d));
  }

  async function writeMember(m: Member, target: ArchiveTarget, opts?: ReadOptions): Promise<MemberResult> {
    const { rel, again, linkTo } = guard.check(m, memberComponents(m.path, target.path, target.prefix), target);
    const output = rel.join('/');
    if (m.type === 'dir') {
      const dir = ensureDir(rel);
      dirTimes.push({ path: dir, outBase: target.outBase, mtime: m.mtime, mode: m.mode & 0o777 });
      return { member: m.path, output, type: m.type, size: 0 };
    }
    const parent = ensureDir(rel.slice(0, -1));
    const path = join(parent, rel[rel.length - 1]!);
    switch (m.type) {
      case 'file':
        if (await fileAt(path, output, again, m, target.outBase, opts)) return { member: m.path, output, type: m.type, size: m.size, kept: true };
        return { member: m.path, output, type: m.type, size: m.size };
      case 'symlink':
        prepareTarget(path, again);
        await ioAsync(() => fsp.symlink(fsPath(m.linkTarget ?? ''), fsPath(path)), path);
        note(target.outBase, path);
        await fsp.lutimes(fsPath(path), m.mtime, m.mtime).catch(() => undefined);
        return { member: m.path, output, type: m.type, size: 0 };
      case 'hardlink': {
        if (standsAlone(m, guard.restoredFiles, target)) {
          // Its first link was not selected (`get` of one path): the content comes with the link, as borg writes it.
          if (await fileAt(path, output, again, m, target.outBase, opts)) return { member: m.path, output, type: 'file', size: m.size, kept: true };
          return { member: m.path, output, type: 'file', size: m.size };
        }
        // The guard found the target among this run's files; the disk may have changed since.
        const from = join(dest, ...linkTo!);
        const st = await fsp.lstat(fsPath(from)).catch(() => undefined);
        if (!st?.isFile()) throw new UnsafePathError(`hard link target '${m.linkTarget}' is not a file restored before it`, { member: m.path });
        prepareTarget(path, again);
        await ioAsync(() => fsp.link(fsPath(from), fsPath(path)), path);
        note(target.outBase, path);
        return { member: m.path, output, type: m.type, size: st.size };
      }
      default:
        for await (const _ of m.extents(opts)) { /* devices, fifos: never created */ }
        return { member: m.path, type: m.type, size: 0, skipped: `${m.type} entries are not restored` };
    }
  }
}

const writeAt = promisify(write);

/** Below this, a write is made synchronously (a page-cache copy is quicker than a round trip to the thread pool). */
const SMALL_WRITE = 64 << 10;

/**
 * Bytes of large writes running at once: the next extents are decrypted and decompressed while
 * earlier ones are written (one at a time, a Wyng volume's 256 KiB chunks left the main thread
 * idle for every write). It bounds the memory those extents hold: 2 MiB restores a Wyng volume as
 * fast as 8 MiB did, and keeps a Borg restore (chunks of ~2 MiB, no faster either way) at its peak.
 */
const WRITES_IN_FLIGHT = 2 << 20;

/**
 * Writes a file's extents into `name.partial`, then renames it. The calls on names and metadata
 * (open, chmod, utimes, close, rename) and small writes are synchronous: each takes microseconds
 * on a local disk, while an asynchronous call waits for the thread pool, and a Borg archive of
 * thousands of small files spent most of its time in those waits. Large writes stay asynchronous
 * and overlap (up to WRITES_IN_FLIGHT), so chunks fetched ahead keep arriving while they run; an
 * extent's bytes are never changed once yielded (Member.extents), so they can be written late.
 */
async function writeFile(path: string, partial: string, m: Member, opts?: ReadOptions): Promise<void> {
  const fd = io(() => openSync(fsPath(partial), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600), partial);
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  const writeAll = async (bytes: Uint8Array, offset: number): Promise<void> => {
    for (let done = 0; done < bytes.length;) {
      done += (await ioAsync(() => writeAt(fd, bytes, done, bytes.length - done, offset + done), partial)).bytesWritten;
    }
  };
  const check = () => { if (failure) throw failure.error; };
  try {
    let end = 0;
    for await (const e of m.extents(opts)) {
      check();
      const n = e.bytes.length;
      if (n <= SMALL_WRITE) {
        for (let done = 0; done < n;) done += io(() => writeSync(fd, e.bytes, done, n - done, e.offset + done), partial);
      } else {
        while (running.size && inFlight + n > WRITES_IN_FLIGHT) await Promise.race(running);
        check();
        inFlight += n;
        const w: Promise<void> = writeAll(e.bytes, e.offset)
          .catch((error: unknown) => { failure ??= { error }; })
          .finally(() => { inFlight -= n; running.delete(w); });
        running.add(w);
      }
      end = Math.max(end, e.offset + n);
    }
    await Promise.all(running);
    check();
    // Holes after the last extent: set the length without writing zeros (a fresh file already ends at `end`).
    if (end !== m.size) io(() => ftruncateSync(fd, m.size), partial);
    try { fchmodSync(fd, m.mode & 0o777 || 0o644); } catch { /* a file system without modes */ }
    try { futimesSync(fd, m.mtime, m.mtime); } catch { /* nor times */ }
  } catch (e) {
    // A file cut by a full disk can never be resumed into a valid one: it goes, not to be mistaken for salvage.
    if (isQubesBackupError(e) && e.code === 'E_DISK_FULL') {
      await Promise.all(running);
      try { unlinkSync(fsPath(partial)); } catch { /* already gone */ }
    }
    throw e;
  } finally {
    // Never close the descriptor under a write still running (its number could be reused).
    await Promise.all(running);
    closeSync(fd);
  }
  io(() => renameSync(fsPath(partial), fsPath(path)), path);
}

interface DirTime {
  readonly path: string;
  readonly outBase: string;
  readonly mtime: number;
  readonly mode: number;
}

/** A unit's metadata file as written: a resumed run compares it to know the unit is complete. */
export function metadataText(json: unknown): string {
  return JSON.stringify(json, null, 2) + '\n';
}

/** Path components under an output folder (`''`: the destination itself). */
function under(outBase: string, parts: readonly string[]): string[] {
  return outBase === '' ? [...parts] : [outBase, ...parts];
}

/** A path for node:fs: names with bytes that are not UTF-8 (lone surrogates, `utf8.decodeEscaped`) as those bytes. */
function fsPath(p: string): string | Buffer {
  return /[\udc80-\udcff]/.test(p) ? Buffer.from(utf8.encodeEscaped(p)) : p;
}

/**
 * A hard link that carries its own content (a Borg link item whose first link was not selected)
 * and whose target was not restored: it is written as a regular file.
 */
function standsAlone(m: Member, restored: ReadonlySet<string>, target: ArchiveTarget): boolean {
  if (m.size === 0 || m.linkTarget === undefined) return false;
  const to = linkComponents(m.linkTarget, target.path, target.prefix);
  return to === undefined || to.length === 0 || !restored.has(under(target.outBase, to).join('/'));
}
