import { CorruptBackupError, IoError, equalBytes, type ByteSource, type DirectorySource, type Hash } from '@qubes-backup/core';

/** Segment entry tags (borg `repository.py`: TAG_PUT, TAG_DELETE, TAG_COMMIT); 1.x has no other. */
export const TAG_PUT = 0;
export const TAG_DELETE = 1;
export const TAG_COMMIT = 2;
const MAGIC = new TextEncoder().encode('BORG_SEG');
const ATTIC_MAGIC = new TextEncoder().encode('ATTICSEG');
/** crc32 | size | tag; PUT and DELETE add the 32-byte key. */
const HEADER = 9;
const KEYED_HEADER = 41;
/** Largest entry borg writes or reads (`MAX_OBJECT_SIZE`, 20 MiB). */
export const MAX_ENTRY_SIZE = 20 * 1024 * 1024;

/** One segment file: `data/<n // segments_per_dir>/<n>`. */
export interface SegmentFile {
  readonly segment: number;
  readonly path: string;
}

/** Where an entry is, for messages: `segment 7 (data/0/7) at byte 123`. */
export function where(file: SegmentFile, offset: number): string {
  return `segment ${file.segment} (${file.path}) at byte ${offset}`;
}

/**
 * The repository's segment files in order, as borg lists them: numeric folders under `data/`,
 * numeric files in them, both sorted as numbers; empty files are logically deleted.
 */
export async function listSegments(dir: DirectorySource): Promise<SegmentFile[]> {
  const out: SegmentFile[] = [];
  const numeric = (n: string) => /^[0-9]+$/.test(n);
  for (const d of (await dir.list('data')).filter((e) => e.type === 'dir' && numeric(e.name))) {
    for (const f of (await dir.list(`data/${d.name}`)).filter((e) => e.type === 'file' && numeric(e.name))) {
      out.push({ segment: Number(f.name), path: `data/${d.name}/${f.name}` });
    }
  }
  return out.sort((a, b) => a.segment - b.segment);
}

/** An entry's header as found when scanning; its data is read (and its CRC checked) only when wanted. */
export interface EntryHeader {
  readonly tag: number;
  readonly offset: number;
  /** The whole entry, header included. */
  readonly size: number;
  readonly key?: Uint8Array;
}

/**
 * Reads a segment through a sliding window, so a scan reads each entry's 41-byte header without
 * the data between them (objects are up to 20 MiB; a window is 64 KiB).
 */
class Window {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  constructor(private readonly source: ByteSource, private readonly size = 64 << 10) {}

  async at(offset: number, n: number): Promise<Uint8Array> {
    if (offset < this.start || offset + n > this.start + this.bytes.length) {
      this.start = offset;
      this.bytes = await this.source.read!(offset, Math.max(n, this.size));
    }
    return this.bytes.subarray(offset - this.start, Math.min(this.bytes.length, offset - this.start + n));
  }
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * The entry headers of one segment in order, from just after its magic. Structure is checked (the
 * magic, each size and tag, the last entry ending at the file's end); the CRC of a PUT is
 * checked when its data is read (`readPut`), those of COMMIT and DELETE entries here.
 */
export async function* scanSegment(source: ByteSource, file: SegmentFile, crc32: Hash): AsyncGenerator<EntryHeader> {
  if (!source.read || source.size === undefined) throw new IoError(`${file.path} cannot be read at random offsets`);
  // Logically deleted: borg truncates a segment before unlinking it, and a crash between the two
  // leaves it empty (`LoggedIO.segment_exists` counts it as gone).
  if (source.size === 0) return;
  const w = new Window(source);
  const magic = await w.at(0, 8);
  if (equalBytes(magic, ATTIC_MAGIC)) throw new CorruptBackupError('an Attic repository segment: run "borg upgrade" on it first', { member: file.path });
  if (!equalBytes(magic, MAGIC)) throw new CorruptBackupError('not a Borg segment (no BORG_SEG magic)', { member: file.path });
  let offset = 8;
  while (offset < source.size) {
    const h = await w.at(offset, KEYED_HEADER);
    if (h.length < HEADER) throw new CorruptBackupError(`entry header cut short: ${where(file, offset)}`, { member: file.path });
    const size = u32(h, 4);
    const tag = h[8]!;
    if (tag > TAG_COMMIT) throw new CorruptBackupError(`unknown entry tag ${tag}: ${where(file, offset)}`, { member: file.path });
    const min = tag === TAG_COMMIT ? HEADER : KEYED_HEADER;
    if (size < min || size > MAX_ENTRY_SIZE || (tag !== TAG_PUT && size !== min)) {
      throw new CorruptBackupError(`invalid entry size ${size}: ${where(file, offset)}`, { member: file.path });
    }
    if (offset + size > source.size) throw new CorruptBackupError(`entry runs past the end of the segment (truncated): ${where(file, offset)}`, { member: file.path });
    if (tag === TAG_COMMIT) {
      if (crcOf(crc32, h.subarray(4, HEADER)) !== u32(h, 0)) throw new CorruptBackupError(`CRC32 of a COMMIT entry does not match: ${where(file, offset)}`, { member: file.path });
      yield { tag, offset, size };
    } else {
      if (h.length < KEYED_HEADER) throw new CorruptBackupError(`entry header cut short: ${where(file, offset)}`, { member: file.path });
      // A DELETE is all header: its CRC is checked here (a PUT's when its data is read).
      if (tag === TAG_DELETE && crcOf(crc32, h.subarray(4, KEYED_HEADER)) !== u32(h, 0)) {
        throw new CorruptBackupError(`CRC32 of a DELETE entry does not match: ${where(file, offset)}`, { member: file.path });
      }
      yield { tag, offset, size, key: h.slice(9, KEYED_HEADER) };
    }
    offset += size;
  }
}

/**
 * Whether a segment is committed, as borg decides (`LoggedIO.is_committed_segment`): its last 9
 * bytes are a COMMIT entry, and its entries read from the start end with that COMMIT. The last
 * bytes alone could be a stored object's own (an unfinished write whose last PUT ends in those 9
 * bytes, in a mode without encryption). A segment whose tail is a COMMIT but whose entries do not
 * parse is damaged: that is said (naming the entry), not read as an earlier transaction.
 */
export async function isCommitted(source: ByteSource, file: SegmentFile, crc32: Hash): Promise<boolean> {
  if (!source.read || source.size === undefined || source.size < 8 + HEADER) return false;
  const tail = await source.read(source.size - HEADER, HEADER);
  if (!(tail.length === HEADER && u32(tail, 4) === HEADER && tail[8] === TAG_COMMIT && crcOf(crc32, tail.subarray(4)) === u32(tail, 0))) return false;
  let last: number | undefined;
  for await (const e of scanSegment(source, file, crc32)) last = e.tag;
  return last === TAG_COMMIT;
}

/**
 * The PUT entry at `offset` of a segment, read whole: its CRC32 (over everything after the CRC
 * field) must match and its key must be `id` (an index pointing elsewhere is stale or hostile).
 * Returns the object's stored bytes. `storedSize`, when the caller knows it (a chunk list's csize),
 * lets header and data come in one read; it is only a hint: the header's own size decides.
 */
export async function readPut(source: ByteSource, file: SegmentFile, offset: number, id: Uint8Array, crc32: Hash, storedSize?: number): Promise<Uint8Array> {
  if (!source.read) throw new IoError(`${file.path} cannot be read at random offsets`);
  const guess = storedSize !== undefined && storedSize >= 0 && storedSize <= MAX_ENTRY_SIZE ? storedSize : 0;
  const first = await source.read(offset, KEYED_HEADER + guess);
  const h = first.subarray(0, KEYED_HEADER);
  if (h.length < KEYED_HEADER) throw new CorruptBackupError(`entry header cut short: ${where(file, offset)}`, { member: file.path });
  const size = u32(h, 4);
  if (h[8] !== TAG_PUT || size < KEYED_HEADER || size > MAX_ENTRY_SIZE) {
    throw new CorruptBackupError(`no object entry: ${where(file, offset)}`, { member: file.path });
  }
  if (!equalBytes(h.subarray(9, KEYED_HEADER), id)) throw new StaleIndexError(file, offset);
  const data = size === KEYED_HEADER + guess ? first.subarray(KEYED_HEADER) : await source.read(offset + KEYED_HEADER, size - KEYED_HEADER);
  if (data.length !== size - KEYED_HEADER) throw new CorruptBackupError(`object cut short (truncated segment): ${where(file, offset)}`, { member: file.path });
  const crc = crc32.create();
  crc.update(h.subarray(4));
  crc.update(data);
  if (u32be(crc.digest()) !== u32(h, 0)) {
    throw new CorruptBackupError(`CRC32 does not match (damaged segment): ${where(file, offset)}`, { member: file.path });
  }
  return data;
}

/** An index entry that points at another object than the one asked for. */
export class StaleIndexError extends CorruptBackupError {
  constructor(file: SegmentFile, offset: number) {
    super(`the index points at another object: ${where(file, offset)}`, { member: file.path });
  }
}

function crcOf(crc32: Hash, bytes: Uint8Array): number {
  const c = crc32.create();
  c.update(bytes);
  return u32be(c.digest());
}

/** A CRC-32 `Hash` digest is the checksum as 4 big-endian bytes. */
function u32be(d: Uint8Array): number {
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
}
