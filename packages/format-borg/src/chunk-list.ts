import { CorruptBackupError } from '@qubes-backup/core';
import type { ChunkSizes, Objects } from './objects.js';

/** One entry of an item's chunk list: `[id, size, csize]` in every Borg 1.x. */
export interface ChunkRef {
  readonly id: Uint8Array;
  readonly size: number;
  /** Its stored size: a hint that saves a read, absent when the entry has none usable. */
  readonly csize?: number;
}

/** An item's `chunks`, checked: a 32-byte id and a size each. */
export function chunkList(list: readonly unknown[], what: string): ChunkRef[] {
  return list.map((c) => {
    if (!Array.isArray(c) || c.length < 2 || !(c[0] instanceof Uint8Array) || c[0].length !== 32 || typeof c[1] !== 'number' || !Number.isSafeInteger(c[1]) || c[1] < 0) {
      throw new CorruptBackupError('invalid chunk list entry (expected [id, size, csize])', { member: what });
    }
    return { id: c[0], size: c[1], ...(typeof c[2] === 'number' && Number.isSafeInteger(c[2]) ? { csize: c[2] } : {}) };
  });
}

/** What `Objects.get` may know of a chunk before reading it. */
function sizesOf(c: ChunkRef): ChunkSizes {
  return { plain: c.size, ...(c.csize !== undefined ? { stored: c.csize } : {}) };
}

/** Reads a chunk's plaintext with what its list entry tells of it (sizes: a check and a read saved). */
export function fetchChunk(objects: Objects): (c: ChunkRef, what: string) => Promise<Uint8Array> {
  return (c, what) => objects.get(c.id, what, sizesOf(c));
}
