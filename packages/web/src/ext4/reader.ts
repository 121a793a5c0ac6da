import { CorruptBackupError, UsageError } from '@qubes-backup/core';
import { locateFilesystem, type ReadAt } from '@qubes-backup/image-ext4/portable';
import { geometry, type Geometry } from './geometry.js';
import { blockRuns, isFastSymlink, parseInode, type Inode } from './inode.js';

/** One directory entry, with its inode read. */
export interface Ext4Entry {
  readonly name: string;
  readonly inode: Inode;
  /** A symlink's target. */
  readonly target?: string;
}

/** A read-only ext2/3/4 filesystem: list folders, read files as pieces at their offsets. */
export interface Ext4Reader {
  list(path: string): Promise<Ext4Entry[]>;
  lookup(path: string): Promise<Inode>;
  /** The file's stored bytes at their offsets in the file; holes are left out. */
  pieces(inode: Inode): AsyncIterable<{ offset: number; bytes: Uint8Array }>;
}

const ROOT_INODE = 2;
/** Where the superblock is in every ext filesystem, and its length. */
const SUPERBLOCK_OFFSET = 1024;
const SUPERBLOCK_SIZE = 1024;
/** Bytes per read of file data: large enough to be fast, small enough to keep memory flat. */
const PIECE = 1 << 20;
/** Nested symlinks and `..` are not followed; a path is at most this many names deep. */
const MAX_DEPTH = 256;

/**
 * Opens the ext filesystem in a disk image (bare, or a GPT/MBR partition as image-ext4 finds it).
 * Pure TypeScript over a `ReadAt`, so it runs in a browser: image-ext4's own reader is libext2fs
 * on Node file handles. Names that are not UTF-8 are shown with U+FFFD.
 */
export async function openExt4(read: ReadAt, imageSize: number, member: string): Promise<Ext4Reader> {
  const where = await locateFilesystem(read, imageSize);
  const base = where.offset;
  const g: Geometry = geometry(await read(base + SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE), member);
  const readBlock = (block: number) => read(base + block * g.blockSize, g.blockSize);
  const descTable = await read(base + (g.firstDataBlock + 1) * g.blockSize, g.groups * g.descSize);
  const dv = new DataView(descTable.buffer, descTable.byteOffset, descTable.byteLength);

  const inode = async (n: number): Promise<Inode> => {
    const group = Math.floor((n - 1) / g.inodesPerGroup);
    if (n < 1 || group >= g.groups) throw new CorruptBackupError(`inode ${n} is out of range`, { member });
    const d = group * g.descSize;
    const table = dv.getUint32(d + 8, true) + (g.descSize >= 64 ? dv.getUint32(d + 0x28, true) * 2 ** 32 : 0);
    const at = base + table * g.blockSize + ((n - 1) % g.inodesPerGroup) * g.inodeSize;
    return parseInode(await read(at, g.inodeSize), n, member);
  };

  async function* pieces(ino: Inode): AsyncIterable<{ offset: number; bytes: Uint8Array }> {
    for (const run of await blockRuns(ino, g.blockSize, readBlock, member)) {
      const start = run.logical * g.blockSize;
      const end = Math.min(ino.size, (run.logical + run.count) * g.blockSize);
      for (let off = start; off < end; off += PIECE) {
        const n = Math.min(PIECE, end - off);
        yield { offset: off, bytes: await read(base + run.physical * g.blockSize + (off - start), n) };
      }
    }
  }

  const whole = async (ino: Inode): Promise<Uint8Array> => {
    const out = new Uint8Array(ino.size);
    for await (const p of pieces(ino)) out.set(p.bytes, p.offset);
    return out;
  };

  const entries = async (dir: Inode): Promise<{ name: string; number: number }[]> => {
    const data = await whole(dir);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out: { name: string; number: number }[] = [];
    const names = new TextDecoder();
    // Walking every block linearly also reads htree directories: their index blocks look like one empty entry.
    for (let o = 0; o + 8 <= data.length;) {
      const number = v.getUint32(o, true);
      const recLen = v.getUint16(o + 4, true);
      const nameLen = g.dirFileType ? data[o + 6]! : v.getUint16(o + 6, true);
      if (recLen < 8 || o + recLen > data.length || 8 + nameLen > recLen) throw new CorruptBackupError(`directory inode ${dir.number}: bad entry at byte ${o}`, { member });
      const name = names.decode(data.subarray(o + 8, o + 8 + nameLen));
      if (number !== 0 && name !== '.' && name !== '..') out.push({ name, number });
      o += recLen;
    }
    return out;
  };

  const target = async (ino: Inode): Promise<string> =>
    new TextDecoder().decode(isFastSymlink(ino) ? ino.iblock.subarray(0, ino.size) : await whole(ino));

  const lookup = async (path: string): Promise<Inode> => {
    let cur = await inode(ROOT_INODE);
    const names = path.split('/').filter((s) => s !== '');
    if (names.length > MAX_DEPTH) throw new UsageError(`'${path}' is too deep`);
    for (const name of names) {
      if (cur.type !== 'dir') throw new UsageError(`'${path}': a part of it is not a folder`);
      const hit = (await entries(cur)).find((e) => e.name === name);
      if (!hit) throw new UsageError(`'${path}' is not in the filesystem`);
      cur = await inode(hit.number);
    }
    return cur;
  };

  return {
    lookup,
    pieces,
    async list(path) {
      const dir = await lookup(path);
      if (dir.type !== 'dir') throw new UsageError(`'${path}' is not a folder`);
      const out: Ext4Entry[] = [];
      for (const e of await entries(dir)) {
        const ino = await inode(e.number);
        out.push({ name: e.name, inode: ino, ...(ino.type === 'symlink' ? { target: await target(ino) } : {}) });
      }
      return out;
    },
  };
}
