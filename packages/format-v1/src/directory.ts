import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptBackupError, IoError,
  type ByteStream, type Member, type ReadOptions,
} from '@qubes-backup/core';

type EntryType = Member['type'];
type Extent = { readonly offset: number; readonly bytes: Uint8Array };

/** Holes are found at the filesystem's block size, as GNU tar does. */
export const BLOCK = 4096;
const READ_SIZE = 1 << 20;

export interface TreeOptions extends ReadOptions {
  /** Largest file size accepted. */
  readonly maxFileSize?: number;
}

/**
 * The members of a directory tree under `root`: `rel` itself first, then its entries in name
 * order, depth first. Names are `rel/...` with `/` separators. Symlinks are reported, never
 * followed; a directory is entered only if it is one (lstat), so nothing outside `root/rel` is read.
 */
export async function* treeMembers(root: string, rel: string, opts: TreeOptions = {}): AsyncGenerator<Member> {
  const st = await lstat(join(root, rel), rel);
  yield* entry(root, rel, st, opts);
}

async function* entry(root: string, rel: string, st: Stats, opts: TreeOptions): AsyncGenerator<Member> {
  opts.signal?.throwIfAborted();
  const abs = join(root, rel);
  if (st.isDirectory()) {
    yield member(rel, 'dir', st, 0);
    let names: string[];
    try {
      names = (await fsp.readdir(abs)).sort();
    } catch (e) {
      throw new IoError(`cannot list '${abs}': ${(e as Error).message}`, { member: rel, cause: e });
    }
    for (const name of names) {
      const child = `${rel}/${name}`;
      yield* entry(root, child, await lstat(join(abs, name), child), opts);
    }
  } else if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = await fsp.readlink(abs);
    } catch (e) {
      throw new IoError(`cannot read link '${abs}': ${(e as Error).message}`, { member: rel, cause: e });
    }
    yield { ...member(rel, 'symlink', st, 0), linkTarget: target };
  } else if (st.isFile()) {
    if (opts.maxFileSize !== undefined && st.size > opts.maxFileSize) {
      throw new CorruptBackupError(`file is larger than the allowed ${opts.maxFileSize} bytes`, { member: rel });
    }
    yield fileMember(abs, rel, st);
  } else {
    const type: EntryType = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
    yield member(rel, type, st, 0);
  }
}

function member(path: string, type: EntryType, st: Stats, size: number): Member {
  return {
    path, type, size, storedSize: size, mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000),
    sparse: false, headerOffset: 0,
    extents: async function* () { /* no data */ },
    body: async function* () { /* no data */ },
  };
}

function fileMember(abs: string, rel: string, st: Stats): Member {
  let used = false;
  const once = () => {
    if (used) throw new Error(`the data of ${rel} can be read only once`);
    used = true;
  };
  return {
    ...member(rel, 'file', st, st.size),
    // Fewer allocated blocks than the size says: the copy kept holes (cp -rp preserves them).
    sparse: st.blocks * 512 < st.size,
    extents: (opts) => { once(); return dataExtents(abs, rel, st, opts); },
    body: (opts) => { once(); return bytes(abs, rel, st, opts); },
  };
}

/**
 * The file's data as extents of non-zero 4 KiB blocks: all-zero blocks are left out, so they stay
 * holes when written (the reference copied with `cp -rp`, which keeps sparse files sparse).
 */
export async function* dataExtents(abs: string, rel: string, st: Stats, opts: ReadOptions = {}): AsyncGenerator<Extent> {
  for await (const { offset, bytes } of pieces(abs, rel, st, opts)) {
    let runStart = -1;
    for (let b = 0; b < bytes.length; b += BLOCK) {
      const end = Math.min(bytes.length, b + BLOCK);
      if (isZero(bytes, b, end)) {
        if (runStart >= 0) { yield { offset: offset + runStart, bytes: bytes.subarray(runStart, b) }; runStart = -1; }
      } else if (runStart < 0) {
        runStart = b;
      }
    }
    if (runStart >= 0) yield { offset: offset + runStart, bytes: bytes.subarray(runStart) };
  }
}

async function* bytes(abs: string, rel: string, st: Stats, opts: ReadOptions = {}): ByteStream {
  for await (const p of pieces(abs, rel, st, opts)) yield p.bytes;
}

/** Reads exactly `st.size` bytes, in fresh 1 MiB buffers, from the file lstat described. */
async function* pieces(abs: string, rel: string, st: Stats, opts: ReadOptions): AsyncGenerator<{ offset: number; bytes: Uint8Array }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (e) {
    throw new IoError(`cannot open '${abs}': ${(e as Error).message}`, { member: rel, cause: e });
  }
  try {
    const now = await fh.stat();
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) {
      throw new IoError(`'${abs}' was replaced while the backup was read`, { member: rel });
    }
    let offset = 0;
    while (offset < st.size) {
      opts.signal?.throwIfAborted();
      const want = Math.min(READ_SIZE, st.size - offset);
      const buf = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
        if (bytesRead === 0) throw new IoError(`'${abs}' became shorter while it was read`, { member: rel });
        got += bytesRead;
      }
      opts.onProgress?.(want);
      yield { offset, bytes: buf };
      offset += want;
    }
  } finally {
    await fh.close();
  }
}

function isZero(b: Uint8Array, start: number, end: number): boolean {
  // Whole 32-bit words where the view is aligned (fresh buffers are), bytes for the rest.
  let i = start;
  if ((b.byteOffset + i) % 4 === 0) {
    const words = Math.floor((end - i) / 4);
    const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
    for (let k = 0; k < words; k++) if (w[k] !== 0) return false;
    i += words * 4;
  }
  for (; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

export async function lstat(abs: string, rel: string): Promise<Stats> {
  try {
    return await fsp.lstat(abs);
  } catch (e) {
    throw new IoError(`cannot read '${abs}': ${(e as Error).message}`, { member: rel, cause: e });
  }
}
