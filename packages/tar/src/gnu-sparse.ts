import { CorruptBackupError } from '@qubes-backup/core';
import { decodeNumeric } from './base256.js';
import { BLOCK } from './limits.js';
import type { SparseEntry } from './sparse-map.js';

/** The sparse part of an old-GNU `S` header: up to 4 entries at 386, `isextended` at 482, `realsize` at 483. */
export interface OldGnuSparseHeader {
  readonly entries: SparseEntry[];
  /** One more extension block follows the header. */
  readonly isExtended: boolean;
  /** Logical size of the file (0 in some old writers: then take the end of the last entry). */
  readonly realSize: number;
}

/** An extension block after an `S` header: 21 entries, then `isextended` at 504. */
export interface SparseExtension {
  readonly entries: SparseEntry[];
  readonly isExtended: boolean;
}

/** Reads `count` (offset 12, numbytes 12) slots from `at`; like GNU tar, a slot whose numbytes starts with NUL ends the list. */
function readSlots(block: Uint8Array, at: number, count: number): SparseEntry[] {
  const entries: SparseEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + i * 24;
    if (block[o + 12] === 0) break;
    const offset = decodeNumeric(block.subarray(o, o + 12), 'sparse offset');
    const length = decodeNumeric(block.subarray(o + 12, o + 24), 'sparse numbytes');
    if (offset < 0 || length < 0) throw new CorruptBackupError('negative sparse map entry');
    entries.push({ offset, length });
  }
  return entries;
}

function checkBlock(block: Uint8Array): void {
  if (!(block instanceof Uint8Array) || block.length !== BLOCK) throw new CorruptBackupError('sparse header must be one 512-byte block');
}

/** Decodes the sparse fields of an old-GNU `S` header block (checksum already verified by decodeHeader). */
export function decodeOldGnuSparse(block: Uint8Array): OldGnuSparseHeader {
  checkBlock(block);
  const realSize = decodeNumeric(block.subarray(483, 495), 'sparse realsize');
  if (realSize < 0) throw new CorruptBackupError('negative sparse realsize');
  return { entries: readSlots(block, 386, 4), isExtended: block[482] !== 0, realSize };
}

/** Decodes one extension block that follows an `S` header whose `isextended` was set. */
export function decodeSparseExtension(block: Uint8Array): SparseExtension {
  checkBlock(block);
  return { entries: readSlots(block, 0, 21), isExtended: block[504] !== 0 };
}
