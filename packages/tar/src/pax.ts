import { CorruptBackupError, utf8 } from '@qubes-backup/core';
import { MAX_PAX_HEADER_SIZE } from './limits.js';

/** One `"<len> <key>=<value>\n"` record of a PAX extended header, in stored order. */
export interface PaxRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * Parses the body of a PAX `x` or `g` header into records, keeping their order and repeated keys
 * (GNU sparse 0.0 repeats `GNU.sparse.offset`/`GNU.sparse.numbytes`). Trailing NUL padding is
 * tolerated. Throws CorruptBackupError on a malformed record or a body over MAX_PAX_HEADER_SIZE.
 */
export function parsePaxRecords(data: Uint8Array): PaxRecord[] {
  if (data.length > MAX_PAX_HEADER_SIZE) throw new CorruptBackupError('PAX extended header is too large');
  const records: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) {
      for (let i = pos; i < data.length; i++) if (data[i] !== 0) throw bad();
      break;
    }
    let len = 0;
    let i = pos;
    while (i < data.length && data[i] !== 0x20) {
      const c = data[i]!;
      if (c < 0x30 || c > 0x39 || i - pos >= 8) throw bad();
      len = len * 10 + (c - 0x30);
      i++;
    }
    const end = pos + len;
    if (i === pos || i >= data.length || end > data.length || end <= i + 1 || data[end - 1] !== 0x0a) throw bad();
    const body = data.subarray(i + 1, end - 1);
    const eq = body.indexOf(0x3d);
    if (eq <= 0) throw bad();
    records.push({ key: utf8.decodeEscaped(body.subarray(0, eq)), value: utf8.decodeEscaped(body.subarray(eq + 1)) });
    pos = end;
  }
  return records;
}

function bad(): CorruptBackupError {
  return new CorruptBackupError('malformed PAX extended header record');
}

/** A decimal PAX number (`size`, `GNU.sparse.realsize`): digits only, safe-integer range. */
export function paxInteger(value: string, key: string): number {
  if (!/^[0-9]{1,16}$/.test(value)) throw new CorruptBackupError(`bad PAX ${key} value`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CorruptBackupError(`PAX ${key} is too large`);
  return n;
}

/** A PAX time (`mtime=1577934245.123456789`, possibly negative), truncated to whole seconds. */
export function paxTime(value: string, key: string): number {
  const m = /^(-?)([0-9]{1,16})(?:\.[0-9]*)?$/.exec(value);
  if (!m) throw new CorruptBackupError(`bad PAX ${key} value`);
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n)) throw new CorruptBackupError(`PAX ${key} is too large`);
  // Floor, so -1.5 is -2 like the C library's time_t conversion.
  return m[1] ? -n - (/\.[0-9]*[1-9]/.test(value) ? 1 : 0) : n;
}
