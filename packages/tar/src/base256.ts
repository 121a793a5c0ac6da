import { CorruptBackupError } from '@qubes-backup/core';

/**
 * Decodes a numeric header field: octal ASCII (leading spaces, ended by NUL or space), or GNU
 * base-256 when the first byte has bit 0x80 set (0x80 positive, 0xff negative, rest big-endian),
 * which GNU tar uses for values of 8 GiB and more. An empty field is 0.
 * Throws CorruptBackupError for any other byte or a value beyond Number.MAX_SAFE_INTEGER.
 */
export function decodeNumeric(field: Uint8Array, what = 'numeric field'): number {
  if (field.length === 0) return 0;
  const first = field[0]!;
  if (first & 0x80) return decodeBase256(field, what);
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new CorruptBackupError(`bad octal digit in tar ${what}`);
    value = value * 8 + (c - 0x30);
    digits++;
  }
  // Only NULs and spaces may follow the digits.
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c !== 0 && c !== 0x20) throw new CorruptBackupError(`bad octal digit in tar ${what}`);
  }
  if (digits > 0 && !Number.isSafeInteger(value)) throw new CorruptBackupError(`tar ${what} is too large`);
  return value;
}

function decodeBase256(field: Uint8Array, what: string): number {
  const negative = field[0] === 0xff;
  if (!negative && field[0] !== 0x80) throw new CorruptBackupError(`bad base-256 marker in tar ${what}`);
  let value = 0;
  for (let i = 1; i < field.length; i++) {
    const b = negative ? 0xff - field[i]! : field[i]!;
    value = value * 256 + b;
    if (value > Number.MAX_SAFE_INTEGER) throw new CorruptBackupError(`tar ${what} is too large`);
  }
  // Two's complement: ~x = -x - 1.
  return negative ? -value - 1 : value;
}
