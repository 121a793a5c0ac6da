import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';

/** A run of a file's blocks: `count` blocks from logical block `logical` stored from physical block `physical`. */
export interface BlockRun {
  readonly logical: number;
  readonly physical: number;
  readonly count: number;
}

export interface Inode {
  readonly number: number;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly flags: number;
  /** The 60 bytes of `i_block`: an extent tree root, block pointers, or a fast symlink's target. */
  readonly iblock: Uint8Array;
}

const EXTENTS_FL = 0x80000;
const INLINE_DATA_FL = 0x10000000;
const EXTENT_MAGIC = 0xf30a;
/** Deeper trees do not exist (ext4 caps depth at 5); a loop in a corrupt tree stops here. */
const MAX_DEPTH = 5;

export function parseInode(bytes: Uint8Array, number: number, member: string): Inode {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mode = v.getUint16(0, true);
  const format = mode & 0xf000;
  const type = format === 0x8000 ? 'file' : format === 0x4000 ? 'dir' : format === 0xa000 ? 'symlink' : 'other';
  const flags = v.getUint32(32, true);
  if (flags & INLINE_DATA_FL) throw new UnsupportedError(`inode ${number} keeps its data inline (inline_data), which this page does not read`, { member });
  const size = v.getUint32(4, true) + v.getUint32(108, true) * 2 ** 32;
  if (!Number.isSafeInteger(size)) throw new CorruptBackupError(`inode ${number}: size out of range`, { member });
  return { number, type, mode: mode & 0o7777, size, mtime: v.getUint32(16, true), flags, iblock: bytes.subarray(40, 100) };
}

/** A symlink whose target sits in `i_block` itself (shorter than 60 bytes, no data blocks). */
export function isFastSymlink(inode: Inode): boolean {
  return inode.type === 'symlink' && inode.size < 60 && (inode.flags & EXTENTS_FL) === 0;
}

/** Reads a block of the filesystem. */
export type ReadBlock = (block: number) => Promise<Uint8Array>;

/** Where a file's data is: its extent tree (ext4) or its block pointers (ext2/3), in logical order. Holes are absent. */
export async function blockRuns(inode: Inode, blockSize: number, readBlock: ReadBlock, member: string): Promise<BlockRun[]> {
  const runs: BlockRun[] = [];
  if (inode.flags & EXTENTS_FL) await extentNode(inode.iblock, 0, runs, readBlock, member, inode.number);
  else await pointerRuns(inode, blockSize, readBlock, runs);
  return runs;
}

async function extentNode(node: Uint8Array, level: number, runs: BlockRun[], readBlock: ReadBlock, member: string, ino: number): Promise<void> {
  const v = new DataView(node.buffer, node.byteOffset, node.byteLength);
  if (v.getUint16(0, true) !== EXTENT_MAGIC) throw new CorruptBackupError(`inode ${ino}: extent tree node without its magic`, { member });
  const entries = v.getUint16(2, true);
  const depth = v.getUint16(6, true);
  if (level > MAX_DEPTH || depth > MAX_DEPTH || 12 + entries * 12 > node.length) throw new CorruptBackupError(`inode ${ino}: extent tree out of bounds`, { member });
  for (let i = 0; i < entries; i++) {
    const o = 12 + i * 12;
    if (depth === 0) {
      const len = v.getUint16(o + 4, true);
      // Longer than 32768: an extent allocated but never written ("unwritten"); it reads as zeros.
      if (len > 32768) continue;
      const physical = v.getUint16(o + 6, true) * 2 ** 32 + v.getUint32(o + 8, true);
      runs.push({ logical: v.getUint32(o, true), physical, count: len });
    } else {
      const child = v.getUint32(o + 4, true) + v.getUint16(o + 8, true) * 2 ** 32;
      await extentNode(await readBlock(child), level + 1, runs, readBlock, member, ino);
    }
  }
}

/** ext2/3 block pointers: 12 direct, then single, double and triple indirect blocks; 0 is a hole. */
async function pointerRuns(inode: Inode, blockSize: number, readBlock: ReadBlock, runs: BlockRun[]): Promise<void> {
  const blocks = Math.ceil(inode.size / blockSize);
  const per = blockSize / 4;
  const v = new DataView(inode.iblock.buffer, inode.iblock.byteOffset, 60);
  const add = (logical: number, physical: number) => {
    if (physical === 0 || logical >= blocks) return;
    const last = runs[runs.length - 1];
    if (last && last.logical + last.count === logical && last.physical + last.count === physical) runs[runs.length - 1] = { ...last, count: last.count + 1 };
    else runs.push({ logical, physical, count: 1 });
  };
  for (let i = 0; i < 12; i++) add(i, v.getUint32(i * 4, true));
  const indirect = async (block: number, level: number, first: number): Promise<void> => {
    if (block === 0 || first >= blocks) return;
    const b = await readBlock(block);
    const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const span = per ** (level - 1);
    for (let i = 0; i < per; i++) {
      const p = d.getUint32(i * 4, true);
      if (level === 1) add(first + i, p);
      else await indirect(p, level - 1, first + i * span);
    }
  };
  await indirect(v.getUint32(48, true), 1, 12);
  await indirect(v.getUint32(52, true), 2, 12 + per);
  await indirect(v.getUint32(56, true), 3, 12 + per + per * per);
}
