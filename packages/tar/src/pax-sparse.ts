import { CorruptBackupError } from '@qubes-backup/core';
import { MAX_SPARSE_ENTRIES } from './limits.js';
import { paxInteger, type PaxRecord } from './pax.js';
import type { SparseEntry } from './sparse-map.js';

/** GNU sparse data announced by PAX records. */
export interface PaxSparse {
  /** `0.0`: offset/numbytes record pairs; `0.1`: `GNU.sparse.map`; `1.0`: map at the start of the data. */
  readonly version: '0.0' | '0.1' | '1.0';
  /** Logical size (`GNU.sparse.realsize` in 1.0, `GNU.sparse.size` in 0.x). */
  readonly realSize: number;
  /** The real member name (`GNU.sparse.name`); the header holds a `GNUSparseFile.<pid>/` placeholder. */
  readonly name?: string;
  /** The map for 0.0 and 0.1; for 1.0 it is read from the data with SparseMapDecoder. */
  readonly entries?: SparseEntry[];
}

const tooMany = (): CorruptBackupError => new CorruptBackupError(`sparse map has more than ${MAX_SPARSE_ENTRIES} entries`);

/**
 * Finds GNU sparse records among the PAX records that apply to a member (global ones first, then
 * the member's own, in stored order). Returns undefined when the member is not sparse.
 */
export function decodePaxSparse(records: readonly PaxRecord[]): PaxSparse | undefined {
  let major: string | undefined;
  let minor: string | undefined;
  let realSize: number | undefined;
  let size: number | undefined;
  let name: string | undefined;
  let map: string | undefined;
  let numBlocks: number | undefined;
  const pairs: SparseEntry[] = [];
  let pendingOffset: number | undefined;
  let sawPair = false;
  for (const { key, value } of records) {
    switch (key) {
      case 'GNU.sparse.major': major = value; break;
      case 'GNU.sparse.minor': minor = value; break;
      case 'GNU.sparse.realsize': realSize = paxInteger(value, key); break;
      case 'GNU.sparse.size': size = paxInteger(value, key); break;
      case 'GNU.sparse.name': name = value; break;
      case 'GNU.sparse.map': map = value; break;
      case 'GNU.sparse.numblocks': numBlocks = paxInteger(value, key); break;
      case 'GNU.sparse.offset':
        if (pendingOffset !== undefined) throw new CorruptBackupError('GNU.sparse.offset without numbytes');
        pendingOffset = paxInteger(value, key);
        sawPair = true;
        break;
      case 'GNU.sparse.numbytes':
        if (pendingOffset === undefined) throw new CorruptBackupError('GNU.sparse.numbytes without offset');
        if (pairs.length >= MAX_SPARSE_ENTRIES) throw tooMany();
        pairs.push({ offset: pendingOffset, length: paxInteger(value, key) });
        pendingOffset = undefined;
        break;
    }
  }
  const named = name !== undefined ? { name } : {};
  if (major !== undefined || minor !== undefined) {
    if (major !== '1' || minor !== '0') throw new CorruptBackupError(`unknown GNU sparse format ${major ?? '?'}.${minor ?? '?'}`);
    if (realSize === undefined && size === undefined) throw new CorruptBackupError('GNU sparse 1.0 member without realsize');
    return { version: '1.0', realSize: realSize ?? size!, ...named };
  }
  if (map !== undefined) {
    const entries = parseMapList(map);
    if (numBlocks !== undefined && numBlocks !== entries.length) throw new CorruptBackupError('GNU.sparse.numblocks does not match the map');
    if (size === undefined) throw new CorruptBackupError('GNU sparse 0.1 member without GNU.sparse.size');
    return { version: '0.1', realSize: size, ...named, entries };
  }
  if (sawPair || numBlocks !== undefined) {
    if (pendingOffset !== undefined) throw new CorruptBackupError('GNU.sparse.offset without numbytes');
    if (numBlocks !== undefined && numBlocks !== pairs.length) throw new CorruptBackupError('GNU.sparse.numblocks does not match the map');
    if (size === undefined) throw new CorruptBackupError('GNU sparse 0.0 member without GNU.sparse.size');
    return { version: '0.0', realSize: size, ...named, entries: pairs };
  }
  return undefined;
}

/** `GNU.sparse.map` of 0.1: `offset,numbytes,offset,numbytes,...` (empty for a file of holes only). */
function parseMapList(text: string): SparseEntry[] {
  if (text === '') return [];
  const parts = text.split(',');
  if (parts.length % 2 !== 0) throw new CorruptBackupError('GNU.sparse.map has an odd number of values');
  if (parts.length / 2 > MAX_SPARSE_ENTRIES) throw tooMany();
  const entries: SparseEntry[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    entries.push({ offset: paxInteger(parts[i]!, 'GNU.sparse.map'), length: paxInteger(parts[i + 1]!, 'GNU.sparse.map') });
  }
  return entries;
}

/**
 * Incremental decoder of the GNU sparse 1.0 map stored at the start of a member's data: decimal
 * lines `<count>\n` then `<offset>\n<numbytes>\n` per entry, NUL-padded to a 512-byte boundary.
 * Feed it 512-byte blocks until `push` returns true; the map never needs more memory than its
 * entries (count is checked against MAX_SPARSE_ENTRIES before any entry is stored).
 */
export class SparseMapDecoder {
  private count = -1;
  private current = 0;
  private digits = 0;
  private pendingOffset = -1;
  readonly entries: SparseEntry[] = [];
  /** Bytes consumed so far (a multiple of 512 once done). */
  consumed = 0;

  get done(): boolean {
    return this.count >= 0 && this.entries.length === this.count && this.pendingOffset < 0;
  }

  /** Consumes one block; returns true when the map is complete (the rest of that block is padding). */
  push(block: Uint8Array): boolean {
    if (this.done) return true;
    this.consumed += block.length;
    for (let i = 0; i < block.length; i++) {
      const c = block[i]!;
      if (c === 0x0a) {
        if (this.digits === 0) throw new CorruptBackupError('empty number in GNU sparse 1.0 map');
        this.number(this.current);
        this.current = 0;
        this.digits = 0;
        if (this.done) return true;
      } else if (c >= 0x30 && c <= 0x39) {
        if (++this.digits > 16) throw new CorruptBackupError('number too long in GNU sparse 1.0 map');
        this.current = this.current * 10 + (c - 0x30);
      } else {
        throw new CorruptBackupError('bad character in GNU sparse 1.0 map');
      }
    }
    return false;
  }

  private number(n: number): void {
    if (!Number.isSafeInteger(n)) throw new CorruptBackupError('number too large in GNU sparse 1.0 map');
    if (this.count < 0) {
      if (n > MAX_SPARSE_ENTRIES) throw tooMany();
      this.count = n;
    } else if (this.pendingOffset < 0) {
      this.pendingOffset = n;
    } else {
      this.entries.push({ offset: this.pendingOffset, length: n });
      this.pendingOffset = -1;
    }
  }
}
