import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';

/**
 * What locating inodes needs from an ext2/3/4 superblock, beyond what `@qubes-backup/image-ext4`'s
 * `parseSuperblock` checks (magic, block size, counts): group sizes, inode size, descriptor size.
 */
export interface Geometry {
  readonly blockSize: number;
  readonly firstDataBlock: number;
  readonly inodesPerGroup: number;
  readonly inodeSize: number;
  /** Bytes per group descriptor: 32, or `s_desc_size` on 64-bit filesystems. */
  readonly descSize: number;
  readonly groups: number;
  /** Directory entries carry a file type byte (INCOMPAT_FILETYPE). */
  readonly dirFileType: boolean;
}

const INCOMPAT_FILETYPE = 0x2;
const INCOMPAT_64BIT = 0x80;
/** Features that change where data is and that this reader does not follow (compression, encryption, large dirs). */
const INCOMPAT_UNREAD = 0x1 | 0x10000 | 0x4000;

/** `sb`: the 1024 superblock bytes, already checked by `parseSuperblock`. */
export function geometry(sb: Uint8Array, member: string): Geometry {
  const v = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
  const u32 = (o: number) => v.getUint32(o, true);
  const u16 = (o: number) => v.getUint16(o, true);
  const incompat = u32(96);
  if (incompat & INCOMPAT_UNREAD) throw new UnsupportedError(`filesystem feature 0x${(incompat & INCOMPAT_UNREAD).toString(16)} (compression, encryption or large directories) is not read by this page`, { member });
  const blockSize = 1024 << u32(24);
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const descSize = is64 ? u16(0xfe) : 32;
  if (descSize < 32 || descSize > blockSize || (descSize & (descSize - 1)) !== 0) throw new CorruptBackupError(`corrupt superblock: descriptor size ${descSize}`, { member });
  const blocksCount = u32(4) + (is64 ? u32(0x150) * 2 ** 32 : 0);
  const blocksPerGroup = u32(32);
  const firstDataBlock = u32(20);
  return {
    blockSize,
    firstDataBlock,
    inodesPerGroup: u32(40),
    inodeSize: u32(76) === 0 ? 128 : u16(88),
    descSize,
    groups: Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup),
    dirFileType: (incompat & INCOMPAT_FILETYPE) !== 0,
  };
}
