// The ext2/3/4 superblock: the 1024 bytes at byte 1024 of a filesystem. Parsed here only to recognise a
// filesystem and refuse nonsense before libext2fs sees it; libext2fs does the rest.
import { CorruptBackupError } from '@qubes-backup/core';

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT_MAGIC = 0xef53;

const COMPAT_HAS_JOURNAL = 0x4;
const INCOMPAT_RECOVER = 0x4;
const INCOMPAT_JOURNAL_DEV = 0x8;
const INCOMPAT_64BIT = 0x80;
const EXT4_INCOMPAT = 0x40 | 0x80 | 0x200 | 0x400 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000;
const EXT4_RO_COMPAT = 0x8 | 0x20 | 0x40 | 0x200 | 0x400;

export interface Superblock {
  /** `ext2` without a journal, `ext3` with one, `ext4` when any ext4-only feature is on. */
  kind: 'ext2' | 'ext3' | 'ext4';
  blockSize: number;
  blocksCount: number;
  /** Bytes the filesystem spans: blocksCount × blockSize. */
  size: number;
  inodesCount: number;
  label: string;
  /** Lower-case, dashed. */
  uuid: string;
  /** The journal holds transactions not yet written home (the VM was not shut down cleanly); they are not replayed. */
  needsRecovery: boolean;
}

/** True when the bytes at `SUPERBLOCK_OFFSET` carry the ext magic. `sb` is those 1024 bytes. */
export function hasExtMagic(sb: Uint8Array): boolean {
  return sb.length >= 58 && (sb[56]! | (sb[57]! << 8)) === EXT_MAGIC;
}

/** Parses and sanity-checks a superblock (the 1024 bytes at `SUPERBLOCK_OFFSET`). */
export function parseSuperblock(sb: Uint8Array, member?: string): Superblock {
  if (sb.length < SUPERBLOCK_SIZE || !hasExtMagic(sb)) {
    throw new CorruptBackupError('not an ext2/3/4 filesystem (no 0xEF53 magic at byte 1080)', { member });
  }
  const v = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  const u32 = (o: number): number => v.getUint32(o, true);
  const u16 = (o: number): number => v.getUint16(o, true);
  const bad = (what: string): never => {
    throw new CorruptBackupError(`corrupt superblock: ${what}`, { member });
  };
  const logBlock = u32(24);
  if (logBlock > 6) bad(`block size 2^${10 + logBlock} is out of range`);
  const blockSize = 1024 << logBlock;
  const incompat = u32(96);
  const roCompat = u32(100);
  const compat = u32(92);
  if (incompat & INCOMPAT_JOURNAL_DEV) bad('this is an external journal device, not a filesystem');
  const blocksCount = u32(4) + ((incompat & INCOMPAT_64BIT) !== 0 ? u32(0x150) * 2 ** 32 : 0);
  const inodesCount = u32(0);
  const blocksPerGroup = u32(32);
  const inodesPerGroup = u32(40);
  const firstDataBlock = u32(20);
  const revLevel = u32(76);
  if (blocksCount === 0) bad('zero blocks');
  if (inodesCount === 0 || inodesPerGroup === 0) bad('zero inodes');
  if (blocksPerGroup === 0 || blocksPerGroup > 8 * blockSize) bad(`${blocksPerGroup} blocks per group`);
  if (firstDataBlock > 1 || firstDataBlock >= blocksCount) bad(`first data block ${firstDataBlock}`);
  if (revLevel > 1) bad(`revision ${revLevel}`);
  if (revLevel === 1) {
    const inodeSize = u16(88);
    if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) bad(`inode size ${inodeSize}`);
  }
  const hex = Array.from(sb.subarray(104, 120), (b) => b.toString(16).padStart(2, '0')).join('');
  const labelBytes = sb.subarray(120, 136);
  const nul = labelBytes.indexOf(0);
  const kind = (incompat & EXT4_INCOMPAT) !== 0 || (roCompat & EXT4_RO_COMPAT) !== 0
    ? 'ext4' : (compat & COMPAT_HAS_JOURNAL) !== 0 ? 'ext3' : 'ext2';
  return {
    kind,
    blockSize,
    blocksCount,
    size: blocksCount * blockSize,
    inodesCount,
    label: new TextDecoder().decode(nul < 0 ? labelBytes : labelBytes.subarray(0, nul)),
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    needsRecovery: (incompat & INCOMPAT_RECOVER) !== 0,
  };
}
