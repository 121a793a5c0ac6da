import { equalBytes, type ByteSource } from '@qubes-backup/core';

const HEADER = 18;
const MAGIC = new TextEncoder().encode('BORG_IDX');
const EMPTY = 0xffffffff;
const DELETED = 0xfffffffe;
/**
 * Buckets read per step of a probe: one page, about 100 buckets. borg keeps the table at most 75 %
 * full, so a probe ends within a few buckets; at 64 KiB each lookup read 16 times what it used.
 */
const PROBE_WINDOW = 4 << 10;

/**
 * `index.N`: borg's HashIndex of where each object of transaction N lives, read in place (a
 * repository of a million objects has a 40 MB index; nothing of it is loaded whole). Header
 * `BORG_IDX`, i32 entries, i32 buckets, i8 key size (32), i8 value size (8); buckets of key +
 * (segment u32le, offset u32le). Lookup: bucket `u32le(key[0..4]) % buckets`, then linear probing
 * until an empty bucket (`_hashindex.c`). Untrusted: every hit is checked against the segment.
 */
export class HashIndexFile {
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

  async lookup(id: Uint8Array): Promise<{ segment: number; offset: number } | undefined> {
    const start = ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0) % this.buckets;
    let window: Uint8Array = new Uint8Array(0);
    let first = -1;
    for (let n = 0, i = start; n < this.buckets; n++, i = (i + 1) % this.buckets) {
      if (i < first || i >= first + window.length / 40 || first < 0) {
        first = i;
        window = await this.source.read!(HEADER + i * 40, Math.min(PROBE_WINDOW, (this.buckets - i) * 40));
        if (window.length < 40) return undefined;
      }
      const b = window.subarray((i - first) * 40, (i - first) * 40 + 40);
      const segment = (b[32]! | (b[33]! << 8) | (b[34]! << 16) | (b[35]! << 24)) >>> 0;
      if (segment === EMPTY) return undefined;
      if (segment !== DELETED && equalBytes(b.subarray(0, 32), id)) {
        return { segment, offset: (b[36]! | (b[37]! << 8) | (b[38]! << 16) | (b[39]! << 24)) >>> 0 };
      }
    }
    return undefined;
  }
}
