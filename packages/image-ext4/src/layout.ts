// Where the filesystem sits inside a disk image: the whole image (bare filesystem, like Qubes' private.img), or
// one partition of a GPT (an R4 template's root.img: partition 3) or MBR disk. Pure: reads through a callback.
import { CorruptBackupError, UsageError } from '@qubes-backup/core';
import { hasExtMagic, parseSuperblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, type Superblock } from './superblock.js';

/** Reads `length` bytes at `position`, zero-filled past the end of the image. */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export interface Partition {
  /** 1-based, as Linux numbers them (`/dev/xvda3` is index 3): the GPT entry slot or MBR primary slot. */
  index: number;
  scheme: 'gpt' | 'mbr';
  offset: number;
  size: number;
  /** GPT type GUID (upper case) or MBR type byte as two hex digits. */
  type: string;
  /** GPT partition name; empty for MBR. */
  name: string;
}

export interface Layout {
  scheme: 'bare' | 'gpt' | 'mbr';
  partitions: Partition[];
}

export interface FilesystemLocation {
  /** Byte offset of the filesystem in the image. */
  offset: number;
  /** The partition it is in, absent for a bare filesystem. */
  partition?: Partition;
  superblock: Superblock;
}

const SECTOR = 512;
const MAX_GPT_ENTRIES = 1024;
const ENTRY_NAME_BYTES = 72;

/** Reads the partition table, if any. A bare filesystem is checked first, as its first 1 KiB may hold anything. */
export async function readLayout(read: ReadAt, imageSize: number): Promise<Layout> {
  if (hasExtMagic(await read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE))) return { scheme: 'bare', partitions: [] };
  for (const sector of [SECTOR, 4096]) {
    const hdr = await read(sector, 92);
    if (new TextDecoder('latin1').decode(hdr.subarray(0, 8)) === 'EFI PART') return { scheme: 'gpt', partitions: await readGpt(read, hdr, sector, imageSize) };
  }
  const mbr = await read(0, SECTOR);
  if (mbr[510] === 0x55 && mbr[511] === 0xaa) return { scheme: 'mbr', partitions: readMbr(mbr, imageSize) };
  return { scheme: 'bare', partitions: [] };
}

async function readGpt(read: ReadAt, hdr: Uint8Array, sector: number, imageSize: number): Promise<Partition[]> {
  const v = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
  const entriesLba = Number(v.getBigUint64(72, true));
  const count = v.getUint32(80, true);
  const entrySize = v.getUint32(84, true);
  if (count > MAX_GPT_ENTRIES || entrySize < 128 || entrySize > 4096 || entrySize % 8 !== 0
    || entriesLba * sector + count * entrySize > imageSize) {
    throw new CorruptBackupError(`corrupt GPT header (${count} entries of ${entrySize} bytes at LBA ${entriesLba})`);
  }
  const table = await read(entriesLba * sector, count * entrySize);
  const parts: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * entrySize, (i + 1) * entrySize);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const ev = new DataView(e.buffer, e.byteOffset, e.byteLength);
    const first = Number(ev.getBigUint64(32, true));
    const last = Number(ev.getBigUint64(40, true));
    if (last < first) continue;
    const name = new TextDecoder('utf-16le').decode(e.subarray(56, 56 + ENTRY_NAME_BYTES)).replace(/\0.*$/s, '');
    parts.push({ index: i + 1, scheme: 'gpt', offset: first * sector, size: (last - first + 1) * sector, type: guid(e.subarray(0, 16)), name });
  }
  return parts;
}

function readMbr(mbr: Uint8Array, imageSize: number): Partition[] {
  const v = new DataView(mbr.buffer, mbr.byteOffset, mbr.byteLength);
  const parts: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const o = 446 + 16 * i;
    const type = mbr[o + 4]!;
    const start = v.getUint32(o + 8, true) * SECTOR;
    const size = v.getUint32(o + 12, true) * SECTOR;
    if (type === 0 || size === 0 || start >= imageSize) continue;
    parts.push({ index: i + 1, scheme: 'mbr', offset: start, size, type: type.toString(16).padStart(2, '0'), name: '' });
  }
  return parts;
}

/** GPT GUIDs store their first three fields little-endian. */
function guid(b: Uint8Array): string {
  const h = (from: number, to: number, rev: boolean): string => {
    const s = Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, '0'));
    return (rev ? s.reverse() : s).join('');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`.toUpperCase();
}

/**
 * Finds the filesystem to open. `partition` 'auto': the bare filesystem, else the largest partition holding an ext
 * superblock. A number picks that partition and fails if it holds no ext filesystem.
 */
export async function locateFilesystem(read: ReadAt, imageSize: number, partition: number | 'auto' = 'auto'): Promise<FilesystemLocation> {
  const layout = await readLayout(read, imageSize);
  if (layout.scheme === 'bare') {
    if (partition !== 'auto') throw new UsageError(`the image has no partition table, so there is no partition ${partition}`);
    return { offset: 0, superblock: parseSuperblock(await read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)) };
  }
  const sbOf = async (p: Partition): Promise<Uint8Array> => read(p.offset + SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE);
  if (partition !== 'auto') {
    const p = layout.partitions.find((x) => x.index === partition);
    if (p === undefined) {
      throw new UsageError(`no partition ${partition} in the ${layout.scheme.toUpperCase()} table (partitions: ${layout.partitions.map((x) => x.index).join(', ') || 'none'})`);
    }
    return { offset: p.offset, partition: p, superblock: parseSuperblock(await sbOf(p), `partition ${p.index}`) };
  }
  let best: { p: Partition; sb: Uint8Array } | undefined;
  for (const p of layout.partitions) {
    const sb = await sbOf(p);
    if (hasExtMagic(sb) && (best === undefined || p.size > best.p.size)) best = { p, sb };
  }
  if (best === undefined) {
    throw new CorruptBackupError(`not an ext2/3/4 filesystem: no bare filesystem and none of the ${layout.partitions.length} ${layout.scheme.toUpperCase()} partitions holds one`);
  }
  return { offset: best.p.offset, partition: best.p, superblock: parseSuperblock(best.sb, `partition ${best.p.index}`) };
}
