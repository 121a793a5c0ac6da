import { equalBytes, type ByteSource } from '@qubes-backup/core';

const HEADER = 18;
const MAGIC = new TextEncoder().encode('BORG_IDX');
const EMPTY = 0xffffffff;
const DELETED = 0xfffffffe;
/**
 * Buckets read at a time: about one page. borg keeps the table at most 75 % full, so a probe ends
 * within a few buckets; at 64 KiB each lookup read 16 times what it used.
 */
const GROUP = 100;
/**
 * Groups of buckets kept once read, at most (8 MiB: a whole index of ~200,000 objects, a 1 TB
 * repository's working set): a restore looks up every chunk, and the same few thousand groups
 * served thousands of lookups, each a read of its own (4,500 reads for 82 groups on a 1 GiB one).
 */
const KEPT_GROUPS = 2048;

/**
 * `index.N`: borg's HashIndex of where each object of transaction N lives, read in place (a
 * repository of a million objects has a 40 MB index: it is never loaded whole, groups of buckets are read
 * as lookups reach them and at most 8 MiB of them kept). Header
 * `BORG_IDX`, i32 entries, i32 buckets, i8 key size (32), i8 value size (8); buckets of key +
 * (segment u32le, offset u32le). Lookup: bucket `u32le(key[0..4]) % buckets`, then linear probing
 * until an empty bucket (`_hashindex.c`). Untrusted: every hit is checked against the segment.
 */
export class HashIndexFile {
  /** Groups read, by number, oldest first (a Map keeps insertion order). */
  private readonly groups = new Map<number, Promise<Uint8Array>>();

  private constructor(private readonly source: ByteSource, private readonly buckets: number) {}

  /** The index, or undefined when the file is not a well-formed HashIndex of 32-byte keys. */
  static async open(source: ByteSource): Promise<HashIndexFile | undefined> {
    if (!source.read || source.size === undefined) return undefined;
    const h = await source.read(0, HEADER);
    if (h.length < HEADER || !equalBytes(h.subarray(0, 8), MAGIC)) return undefined;
    const view = new DataView(h.buffer, h.byteOffset, h.length);
    const entries = view.getInt32(8, true);
    const buckets = view.getInt32(12, true);
    if (h[16] !== 32 || h[17] !== 8 || buckets < 1 || entries < 0 || entries > buckets) return undefined;
    if (source.size !== HEADER + buckets * 40) return undefined;
    return new HashIndexFile(source, buckets);
  }

  /** Buckets [g·GROUP, (g+1)·GROUP) as stored (fewer at the end of the table). */
  private group(g: number): Promise<Uint8Array> {
    let p = this.groups.get(g);
    if (!p) {
      const first = g * GROUP;
      p = this.source.read!(HEADER + first * 40, Math.min(GROUP, this.buckets - first) * 40);
      // A failed read is not kept: the next lookup reads again.
      p.catch(() => this.groups.delete(g));
      this.groups.set(g, p);
      if (this.groups.size > KEPT_GROUPS) this.groups.delete(this.groups.keys().next().value!);
    }
    return p;
  }

  async lookup(id: Uint8Array): Promise<{ segment: number; offset: number } | undefined> {
    const start = ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0) % this.buckets;
    let window: Uint8Array = new Uint8Array(0);
    let g = -1;
    for (let n = 0, i = start; n < this.buckets; n++, i = (i + 1) % this.buckets) {
      if (Math.floor(i / GROUP) !== g) {
        g = Math.floor(i / GROUP);
        window = await this.group(g);
      }
      const at = (i - g * GROUP) * 40;
      if (window.length < at + 40) return undefined;
      const b = window.subarray(at, at + 40);
      const segment = (b[32]! | (b[33]! << 8) | (b[34]! << 16) | (b[35]! << 24)) >>> 0;
      if (segment === EMPTY) return undefined;
      if (segment !== DELETED && equalBytes(b.subarray(0, 32), id)) {
        return { segment, offset: (b[36]! | (b[37]! << 8) | (b[38]! << 16) | (b[39]! << 24)) >>> 0 };
      }
    }
    return undefined;
  }
}
