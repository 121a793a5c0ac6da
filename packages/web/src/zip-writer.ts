import { utf8 as escaped, type Hash } from '@qubes-backup/core';
import type { FileWriter } from './save.js';

/**
 * A streaming zip writer: STORED entries (the page's data is already decoded, and compressing in
 * the page would cost more time than the smaller file saves), written one after the other to a
 * sequential sink, so the zip never sits in memory whole. Files carry a data descriptor (general
 * purpose bit 3): their CRC-32 is computed while their bytes pass, and each file is read once.
 * ZIP64 records appear only where a size, an offset or the entry count needs them; names are UTF-8
 * (bit 11); "version made by" is Unix, so modes (and symlinks) survive `unzip`.
 */

/** One entry of a zip, as planned before writing: a file's size is known from its listing. */
export interface ZipEntry {
  /** `/`-joined, no leading `/`; a folder's gets its trailing `/` added here. */
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  /** Bytes, for files. */
  readonly size: number;
  /** A symlink's target, stored as its data (Info-ZIP's convention). */
  readonly target?: string;
  /** Permission bits (0o7777); defaults 0o644 for files, 0o755 for folders, 0o777 for symlinks. */
  readonly mode?: number;
  /** Seconds since the epoch; the zip keeps it as a DOS date and time (local, 2-second steps). */
  readonly mtime?: number;
}

/** The thresholds at which ZIP64 fields take over; tests lower them to exercise ZIP64 on small zips. */
export interface ZipLimits {
  /** Sizes and offsets at or above this go to ZIP64 fields (the format's 0xFFFFFFFF). */
  readonly bytes: number;
  /** Entry counts at or above this need the ZIP64 end record (the format's 0xFFFF). */
  readonly entries: number;
}

export const ZIP_LIMITS: ZipLimits = { bytes: 0xffffffff, entries: 0xffff };

/** Each record's signature ("PK" and two record bytes, little-endian). */
const SIG = {
  local: 0x04034b50, descriptor: 0x08074b50, central: 0x02014b50, end64: 0x06064b50, locator64: 0x07064b50, end: 0x06054b50,
} as const;
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const MADE_BY_UNIX = 3 << 8;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** MS-DOS "directory" attribute, for tools that ignore the Unix half of the external attributes. */
const DOS_DIR = 0x10;
const MAX32 = 0xffffffff;

/** A planned entry plus what writing it found out: where it starts, its CRC and whether it needed ZIP64 sizes. */
interface Written {
  readonly entry: ZipEntry;
  readonly name: Uint8Array;
  readonly isUtf8: boolean;
  readonly offset: number;
  crc: number;
  /** Sizes too large for 4 bytes: the local header, descriptor and central header use ZIP64 fields. */
  readonly big: boolean;
}

/** Little-endian record builder: fields appended in order, so each record reads like APPNOTE's table. */
class Record {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(n: number): this { this.view.setUint16(this.at, n, true); this.at += 2; return this; }
  u32(n: number): this { this.view.setUint32(this.at, n >>> 0, true); this.at += 4; return this; }
  u64(n: number): this { this.view.setBigUint64(this.at, BigInt(n), true); this.at += 8; return this; }
  raw(b: Uint8Array): this { this.bytes.set(b, this.at); this.at += b.length; return this; }
  done(): Uint8Array {
    if (this.at !== this.bytes.length) throw new Error(`zip record: ${this.at} of ${this.bytes.length} bytes filled`);
    return this.bytes;
  }
}

const utf8 = new TextEncoder();

/**
 * A name's bytes: the ones it stood for in the backup (names that were not UTF-8 keep their bytes
 * as escapes, see core's `utf8.decodeEscaped`). Only a name that is valid UTF-8 gets the UTF-8
 * flag; the others go out flagless, and unzip on Unix restores their bytes as they were.
 */
function entryName(e: ZipEntry): { name: Uint8Array; isUtf8: boolean } {
  const path = e.type === 'dir' ? `${e.path.replace(/\/+$/, '')}/` : e.path;
  const bytes = escaped.encodeEscaped(path);
  const plain = utf8.encode(path);
  return { name: bytes, isUtf8: bytes.length === plain.length && bytes.every((b, i) => b === plain[i]) };
}

/** A file's data length; a symlink stores its target's UTF-8 bytes, a folder nothing. */
function dataSize(e: ZipEntry): number {
  return e.type === 'file' ? e.size : e.type === 'symlink' ? utf8.encode(e.target ?? '').length : 0;
}

/** DOS time in the low 16 bits, date in the high 16; DOS dates run from 1980 to 2107. */
function dosDateTime(mtime: number | undefined): number {
  const d = new Date((mtime ?? 0) * 1000);
  const year = d.getFullYear();
  if (mtime === undefined || year < 1980) return (1 << 5 | 1) << 16; // 1980-01-01 00:00
  if (year > 2107) return ((127 << 9 | 12 << 5 | 31) << 16 | 23 << 11 | 59 << 5 | 29) >>> 0;
  const date = (year - 1980) << 9 | (d.getMonth() + 1) << 5 | d.getDate();
  const time = d.getHours() << 11 | d.getMinutes() << 5 | d.getSeconds() >> 1;
  return (date << 16 | time) >>> 0;
}

function externalAttributes(e: ZipEntry): number {
  const type = e.type === 'dir' ? S_IFDIR : e.type === 'symlink' ? S_IFLNK : S_IFREG;
  const mode = (e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644)) & 0o7777;
  return ((type | mode) * 0x10000 + (e.type === 'dir' ? DOS_DIR : 0)) >>> 0;
}

/** Whether an entry's sizes need ZIP64 fields: decided from its planned size, before its data is written. */
function isBig(e: ZipEntry, limits: ZipLimits): boolean {
  return dataSize(e) >= limits.bytes;
}

function localHeader(w: Written): Uint8Array {
  const e = w.entry;
  const streamed = e.type === 'file';
  const size = dataSize(e);
  const extra = w.big ? 20 : 0;
  const r = new Record(30 + w.name.length + extra)
    .u32(SIG.local).u16(w.big ? 45 : 20).u16((w.isUtf8 ? FLAG_UTF8 : 0) | (streamed ? FLAG_DESCRIPTOR : 0)).u16(0)
    .u32(dosDateTime(e.mtime))
    // With a data descriptor the CRC and sizes come after the data; ZIP64 sizes sit in the extra field.
    .u32(streamed ? 0 : w.crc)
    .u32(w.big ? MAX32 : streamed ? 0 : size).u32(w.big ? MAX32 : streamed ? 0 : size)
    .u16(w.name.length).u16(extra).raw(w.name);
  if (w.big) r.u16(1).u16(16).u64(streamed ? 0 : size).u64(streamed ? 0 : size);
  return r.done();
}

function descriptor(w: Written): Uint8Array {
  const size = dataSize(w.entry);
  const r = new Record(w.big ? 24 : 16).u32(SIG.descriptor).u32(w.crc);
  return (w.big ? r.u64(size).u64(size) : r.u32(size).u32(size)).done();
}

function centralHeader(w: Written, limits: ZipLimits): Uint8Array {
  const e = w.entry;
  const size = dataSize(e);
  const farOffset = w.offset >= limits.bytes;
  // ZIP64 extra: only the fields whose 4-byte slot says 0xFFFFFFFF, in the order usize, csize, offset.
  const extra = (w.big ? 16 : 0) + (farOffset ? 8 : 0);
  const r = new Record(46 + w.name.length + (extra ? 4 + extra : 0))
    .u32(SIG.central).u16(MADE_BY_UNIX | 45).u16(w.big || farOffset ? 45 : 20)
    .u16((w.isUtf8 ? FLAG_UTF8 : 0) | (e.type === 'file' ? FLAG_DESCRIPTOR : 0)).u16(0)
    .u32(dosDateTime(e.mtime)).u32(w.crc)
    .u32(w.big ? MAX32 : size).u32(w.big ? MAX32 : size)
    .u16(w.name.length).u16(extra ? 4 + extra : 0).u16(0).u16(0).u16(0)
    .u32(externalAttributes(e)).u32(farOffset ? MAX32 : w.offset)
    .raw(w.name);
  if (extra) {
    r.u16(1).u16(extra);
    if (w.big) r.u64(size).u64(size);
    if (farOffset) r.u64(w.offset);
  }
  return r.done();
}

/** The end records: ZIP64 end record and locator first when a count, size or offset overflows, then the classic one. */
function endRecords(count: number, cdOffset: number, cdSize: number, limits: ZipLimits): Uint8Array {
  const zip64 = count >= limits.entries || cdOffset >= limits.bytes || cdSize >= limits.bytes;
  const end = new Record(22).u32(SIG.end).u16(0).u16(0)
    .u16(zip64 ? 0xffff : count).u16(zip64 ? 0xffff : count)
    .u32(zip64 ? MAX32 : cdSize).u32(zip64 ? MAX32 : cdOffset).u16(0).done();
  if (!zip64) return end;
  const end64 = new Record(56).u32(SIG.end64).u64(44).u16(MADE_BY_UNIX | 45).u16(45).u32(0).u32(0)
    .u64(count).u64(count).u64(cdSize).u64(cdOffset).done();
  const locator = new Record(20).u32(SIG.locator64).u32(0).u64(cdOffset + cdSize).u32(1).done();
  const out = new Uint8Array(end64.length + locator.length + end.length);
  out.set(end64, 0);
  out.set(locator, end64.length);
  out.set(end, end64.length + locator.length);
  return out;
}

/**
 * The exact length of the zip of `entries`: the save target is told its size before the first
 * byte (the download fallback refuses what it cannot hold; the picker's file is truncated to it).
 * It runs the same record builders as the writer, so the two cannot drift apart.
 */
export function zipSize(entries: readonly ZipEntry[], limits: ZipLimits = ZIP_LIMITS): number {
  let at = 0;
  const central: Written[] = [];
  for (const entry of entries) {
    const w: Written = { entry, ...entryName(entry), offset: at, crc: 0, big: isBig(entry, limits) };
    at += localHeader(w).length + dataSize(entry) + (entry.type === 'file' ? descriptor(w).length : 0);
    central.push(w);
  }
  const cdOffset = at;
  for (const w of central) at += centralHeader(w, limits).length;
  return at + endRecords(central.length, cdOffset, at - cdOffset, limits).length;
}

/** Where the zip's bytes go, in order. */
export type ZipSink = (bytes: Uint8Array) => Promise<void>;

/**
 * Writes entries one after the other. Folders and symlinks are written whole by `add`; a file
 * gets a FileWriter (`file`) that a TreeSource's `save` fills: holes are written as zeros, since a
 * zip has no sparse files, and pieces must come in order (the data streams straight out).
 */
export class ZipWriter {
  private at = 0;
  private readonly central: Written[] = [];
  private busy = false;

  constructor(private readonly sink: ZipSink, private readonly crc32: Hash, private readonly limits: ZipLimits = ZIP_LIMITS) {}

  /** Bytes written so far. */
  get written(): number {
    return this.at;
  }

  private async put(bytes: Uint8Array): Promise<void> {
    this.at += bytes.length;
    await this.sink(bytes);
  }

  private begin(entry: ZipEntry, crc: number): Written {
    if (this.busy) throw new Error('zip: the previous file entry is not finished');
    const w: Written = { entry, ...entryName(entry), offset: this.at, crc, big: isBig(entry, this.limits) };
    this.central.push(w);
    return w;
  }

  /** A folder or a symlink: header and (for a symlink) its target. */
  async add(entry: ZipEntry): Promise<void> {
    if (entry.type === 'file') throw new Error('zip: use file() for file entries');
    const data = utf8.encode(entry.type === 'symlink' ? entry.target ?? '' : '');
    const state = this.crc32.create();
    state.update(data);
    const w = this.begin(entry, crcOf(state.digest()));
    await this.put(localHeader(w));
    if (data.length) await this.put(data);
  }

  /** A file entry's writer: its header goes out on `start`, its descriptor on `finish`. */
  file(entry: ZipEntry, onBytes: (n: number) => void = () => undefined): FileWriter {
    const w = this.begin(entry, 0);
    this.busy = true;
    const state = this.crc32.create();
    let at = 0;
    const zeros = new Uint8Array(Math.min(1 << 20, Math.max(1, entry.size)));
    const data = async (bytes: Uint8Array) => {
      state.update(bytes);
      at += bytes.length;
      onBytes(bytes.length);
      await this.put(bytes);
    };
    const fill = async (to: number) => {
      while (at < to) await data(zeros.subarray(0, Math.min(zeros.length, to - at)));
    };
    return {
      start: async (size) => {
        if (size !== entry.size) throw new Error(`zip: '${entry.path}' is ${size} bytes, listed as ${entry.size}`);
        await this.put(localHeader(w));
      },
      write: async (offset, bytes) => {
        if (offset < at) throw new Error(`zip: '${entry.path}' was read out of order (offset ${offset} after ${at})`);
        await fill(offset);
        // A last block may run past the file's end (the file Save truncates it away): cut it here.
        if (offset + bytes.length > entry.size) bytes = bytes.subarray(0, Math.max(0, entry.size - offset));
        if (bytes.length) await data(bytes);
      },
      finish: async () => {
        await fill(entry.size);
        w.crc = crcOf(state.digest());
        await this.put(descriptor(w));
        this.busy = false;
      },
      // The zip as a whole is dropped by whoever owns the sink; one entry has nothing of its own to undo.
      abort: async () => undefined,
    };
  }

  /** Central directory and end records; the zip is complete once this resolves. */
  async finish(): Promise<void> {
    if (this.busy) throw new Error('zip: the last file entry is not finished');
    const cdOffset = this.at;
    for (const w of this.central) await this.put(centralHeader(w, this.limits));
    await this.put(endRecords(this.central.length, cdOffset, this.at - cdOffset, this.limits));
  }
}

/** The crc32 hash plugin's digest is the checksum as 4 big-endian bytes. */
function crcOf(digest: Uint8Array): number {
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}
