// An opened filesystem: read-only browsing over libext2fs (WASM) through a copy-on-write overlay.
import { open, type FileHandle } from 'node:fs/promises';
import type { Ext2Fs, Ext2Stats } from 'ext2fs';
import { CorruptBackupError, IoError, QubesBackupError, UsageError, isQubesBackupError } from '@qubes-backup/core';
import { loadExt2fs, serialized, type Ext2Module } from './_ext2fs.js';
import { OverlayDisk } from './_overlay-disk.js';
import { baseName, decodeName, joinFsPath, toFsPath } from './_paths.js';
import { typeOfMode, type DirEntry, type WalkEntry } from './entry.js';
import { locateFilesystem, type Partition, type ReadAt } from './layout.js';
import type { Superblock } from './superblock.js';

/** Bytes per read from libext2fs: its heap is a fixed 16 MiB, and larger reads were slower when measured. */
export const READ_CHUNK = 256 * 1024;
const O_RDONLY = 0;
/** Without it every read dirties the inode (atime); the overlay would absorb it, but at a cost. */
const O_NOATIME = 0o1000000;

export interface OpenImageOptions {
  /** 'auto' (default): a bare filesystem, else the largest partition holding ext. A number: that partition (1-based). */
  partition?: number | 'auto';
}

export interface ImageInfo {
  /** How the image is laid out: a bare filesystem (private.img) or a partitioned disk (root.img). */
  scheme: 'bare' | 'gpt' | 'mbr';
  /** The partition opened, when the image is partitioned. */
  partition?: Partition;
  /** Byte offset of the filesystem inside the image file. */
  offset: number;
  filesystem: Superblock;
}

export interface ReadStreamOptions {
  signal?: AbortSignal;
}

/** Internal byte-path access for copyOut: names that are not UTF-8 do not survive a string round trip. */
export const RAW = Symbol('image-ext4.raw');
export interface RawAccess {
  stat(path: Buffer): Promise<DirEntry>;
  list(path: Buffer): Promise<Array<{ raw: Buffer; name: Buffer; entry: DirEntry }>>;
  read(path: Buffer, opts?: ReadStreamOptions): AsyncIterable<Uint8Array>;
}

export interface Ext4Image {
  readonly info: ImageInfo;
  /** The entries of a directory (no `.`/`..`), sorted by name bytes. */
  list(path: string): Promise<DirEntry[]>;
  /** The entry at `path` itself: a final symlink is not followed. */
  stat(path: string): Promise<DirEntry>;
  /** A symlink's stored target. */
  readlink(path: string): Promise<string>;
  /** A regular file's bytes in chunks of at most 256 KiB. A symlink is followed inside the filesystem. */
  createReadStream(path: string, opts?: ReadStreamOptions): AsyncIterable<Uint8Array>;
  /** Every entry below `path` (default `/`), depth-first, each directory before its sorted contents; symlinks are not followed. */
  walk(path?: string): AsyncIterable<WalkEntry>;
  /** Unmounts and closes the image file. Idempotent. The image file is never written. */
  close(): Promise<void>;
  readonly [RAW]: RawAccess;
}

interface Ext2Error { code?: unknown; message?: unknown }

function errorCode(e: unknown): string {
  const code = (e as Ext2Error | undefined)?.code;
  if (typeof code === 'string' && code !== 'UNKNOWN') return code;
  return String((e as Ext2Error | undefined)?.message ?? e);
}

/** Maps libext2fs (errno-style) and WASM failures to the package's typed errors. */
function mapError(e: unknown, path: Buffer | string): QubesBackupError {
  if (isQubesBackupError(e)) return e;
  const member = typeof path === 'string' ? path : decodeName(path);
  switch ((e as Ext2Error | undefined)?.code) {
    case 'ENOENT': return new UsageError('no such file or directory in the filesystem', { member, cause: e });
    case 'ENOTDIR': return new UsageError('a path component is not a directory', { member, cause: e });
    case 'ELOOP': return new UsageError('too many levels of symbolic links', { member, cause: e });
    case 'EIO': return new IoError('cannot read the image', { member, cause: e });
    default: {
      const why = e instanceof WebAssembly.RuntimeError ? `libext2fs aborted (${e.message})` : `libext2fs error ${errorCode(e)}`;
      return new CorruptBackupError(`${why}; the filesystem may be damaged`, { member, cause: e });
    }
  }
}

class Image implements Ext4Image {
  readonly info: ImageInfo;
  readonly #fh: FileHandle;
  readonly #mod: Ext2Module;
  readonly #fs: Ext2Fs;
  #closed = false;
  readonly [RAW]: RawAccess;

  constructor(info: ImageInfo, fh: FileHandle, mod: Ext2Module, fs: Ext2Fs) {
    this.info = info;
    this.#fh = fh;
    this.#mod = mod;
    this.#fs = fs;
    this[RAW] = {
      stat: (p) => this.#stat(p),
      list: (p) => this.#list(p),
      read: (p, o) => this.#read(p, o),
    };
  }

  async #call<T>(path: Buffer, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new UsageError('the image is closed');
    try {
      return await serialized(fn);
    } catch (e) {
      throw mapError(e, path);
    }
  }

  #entry(name: Buffer, st: Ext2Stats, target?: Buffer): DirEntry {
    const e: DirEntry = {
      name: name.length === 0 ? '/' : decodeName(name),
      type: typeOfMode(st.mode),
      size: st.size,
      mode: st.mode,
      mtime: st.mtime,
      uid: st.uid,
      gid: st.gid,
      ino: st.ino,
    };
    if (target !== undefined) e.target = decodeName(target);
    return e;
  }

  async #stat(path: Buffer): Promise<DirEntry> {
    const st = await this.#call(path, () => this.#fs.promises.lstat(path));
    const target = typeOfMode(st.mode) === 'symlink' ? await this.#call(path, () => this.#mod.readlinkRaw(this.#fs, path)) : undefined;
    return this.#entry(baseName(path), st, target);
  }

  async #list(path: Buffer): Promise<Array<{ raw: Buffer; name: Buffer; entry: DirEntry }>> {
    const dir = await this.#call(path, () => this.#fs.promises.stat(path));
    if (typeOfMode(dir.mode) !== 'dir') throw new UsageError('not a directory', { member: decodeName(path) });
    const names = await this.#call(path, () => this.#mod.readdirRaw(this.#fs, path));
    const out: Array<{ raw: Buffer; name: Buffer; entry: DirEntry }> = [];
    for (const name of names.sort(Buffer.compare)) {
      if (name.equals(DOT) || name.equals(DOTDOT)) continue;
      const raw = joinFsPath(path, name);
      // A name holding "/" or NUL cannot be looked up by path (only a damaged or hostile image has one): it is
      // listed as 'other' with no metadata, and copyOut refuses it.
      const unreachable = name.includes(0x2f) || name.includes(0);
      out.push({ raw, name, entry: unreachable ? placeholder(name) : await this.#stat(raw) });
    }
    return out;
  }

  async *#read(path: Buffer, opts: ReadStreamOptions = {}): AsyncIterable<Uint8Array> {
    const fsp = this.#fs.promises;
    const { fd } = await this.#call(path, () => fsp.open(path, O_RDONLY | O_NOATIME, 0));
    try {
      const st = await this.#call(path, () => fsp.fstat(fd));
      if (typeOfMode(st.mode) !== 'file') throw new UsageError(`not a regular file (${typeOfMode(st.mode)})`, { member: decodeName(path) });
      let total = 0;
      while (total < st.size) {
        opts.signal?.throwIfAborted();
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, st.size - total));
        const { bytesRead } = await this.#call(path, () => fsp.read(fd, buf, 0, buf.length, -1));
        if (bytesRead === 0) {
          throw new CorruptBackupError(`file ends after ${total} bytes but its inode says ${st.size}`, { member: decodeName(path) });
        }
        total += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      if (!this.#closed) await serialized(() => fsp.close(fd)).catch(() => undefined);
    }
  }

  async list(path: string): Promise<DirEntry[]> {
    return (await this.#list(toFsPath(path))).map((x) => x.entry);
  }

  async stat(path: string): Promise<DirEntry> {
    return this.#stat(toFsPath(path));
  }

  async readlink(path: string): Promise<string> {
    const e = await this.#stat(toFsPath(path));
    if (e.target === undefined) throw new UsageError('not a symbolic link', { member: path });
    return e.target;
  }

  async *createReadStream(path: string, opts?: ReadStreamOptions): AsyncIterable<Uint8Array> {
    yield* this.#read(toFsPath(path), opts);
  }

  async *walk(path = '/'): AsyncIterable<WalkEntry> {
    const start = toFsPath(path);
    const stack: Array<{ raw: Buffer; entry: DirEntry }> = (await this.#list(start)).reverse();
    while (stack.length > 0) {
      const { raw, entry } = stack.pop()!;
      yield { path: decodeName(raw), entry };
      if (entry.type === 'dir') stack.push(...(await this.#list(raw)).reverse());
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await serialized(() => this.#mod.umount(this.#fs));
    } finally {
      await this.#fh.close();
    }
  }
}

function placeholder(name: Buffer): DirEntry {
  return { name: decodeName(name), type: 'other', size: 0, mode: 0, mtime: new Date(0), uid: 0, gid: 0, ino: 0 };
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** Opens the ext2/3/4 filesystem in a disk image file (bare, GPT or MBR) for reading. The file is never written. */
export async function openImage(path: string, opts: OpenImageOptions = {}): Promise<Ext4Image> {
  const partition = opts.partition ?? 'auto';
  if (partition !== 'auto' && !(Number.isInteger(partition) && partition >= 1)) {
    throw new UsageError(`partition must be 'auto' or a positive integer, not ${String(partition)}`);
  }
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new IoError(`cannot open the image: ${(e as Error).message}`, { member: path, cause: e });
  }
  try {
    const { size } = await fh.stat();
    const read: ReadAt = async (position, length) => {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length && position + done < size) {
        const { bytesRead } = await fh.read(buf, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf;
    };
    const loc = await locateFilesystem(read, size, partition);
    const sb = loc.superblock;
    if (loc.offset + sb.size > size) {
      throw new CorruptBackupError(`truncated image: the filesystem spans ${sb.size} bytes from offset ${loc.offset}, but the file has ${size}`, { member: path });
    }
    const mod = await loadExt2fs();
    const disk = new OverlayDisk(fh, loc.offset, sb.size);
    let fs: Ext2Fs;
    try {
      fs = await serialized(() => mod.mount(disk));
    } catch (e) {
      throw new CorruptBackupError(`corrupt superblock or group descriptors: libext2fs cannot open the ${sb.kind} filesystem (${errorCode(e)})`, { member: path, cause: e });
    }
    const info: ImageInfo = { scheme: loc.partition?.scheme ?? 'bare', offset: loc.offset, filesystem: sb };
    if (loc.partition !== undefined) info.partition = loc.partition;
    return new Image(info, fh, mod, fs);
  } catch (e) {
    await fh.close();
    throw e;
  }
}
