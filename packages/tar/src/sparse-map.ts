import { CorruptBackupError } from '@qubes-backup/core';
import { MAX_SPARSE_ENTRIES } from './limits.js';

/** One data region of a sparse file: `length` stored bytes belong at logical `offset`. */
export interface SparseEntry {
  readonly offset: number;
  readonly length: number;
}

/**
 * Checks a sparse map against the member it describes: at most MAX_SPARSE_ENTRIES entries, in
 * increasing order without overlap, inside `realSize`, and adding up to `storedSize`. Zero-length
 * entries are allowed (GNU ends its maps with `(realsize, 0)`). Throws CorruptBackupError.
 */
export function validateSparseMap(entries: readonly SparseEntry[], realSize: number, storedSize: number, member?: string): void {
  const fail = (why: string): never => {
    throw new CorruptBackupError(`bad sparse map: ${why}`, member !== undefined ? { member } : {});
  };
  if (entries.length > MAX_SPARSE_ENTRIES) fail(`more than ${MAX_SPARSE_ENTRIES} entries`);
  let end = 0;
  let total = 0;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.length) || e.offset < 0 || e.length < 0) fail('negative or huge entry');
    if (e.offset < end) fail('entries overlap or are out of order');
    end = e.offset + e.length;
    if (end > realSize) fail('entry beyond the real size');
    total += e.length;
  }
  if (total !== storedSize) fail(`regions add up to ${total} bytes, ${storedSize} are stored`);
}
