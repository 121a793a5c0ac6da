import { CorruptBackupError, assertBytes } from '@qubes-backup/core';

/** Larger `.hmac` files are refused: the real ones are one line of under 200 bytes. */
export const MAX_HMAC_FILE_SIZE = 4096;

// Python's str.strip() on ASCII text: space, \t \n \v \f \r and the separators \x1c–\x1f.
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);

function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/**
 * The value of an `openssl dgst` output, parsed like the reference restore:
 * `text.strip().split("=")`, at least two fields, `fields[1].strip()`, lowercased. Accepts
 * `(stdin)= hex` (OpenSSL 1.x), `SHA2-512(stdin)= hex` and `HMAC-SHA2-512(file)= hex` (OpenSSL 3).
 */
export function parseHmacTag(tag: Uint8Array): string {
  assertBytes(tag, 'tag');
  if (tag.length > MAX_HMAC_FILE_SIZE) {
    throw new CorruptBackupError(`invalid .hmac file: ${tag.length} bytes, more than ${MAX_HMAC_FILE_SIZE}`);
  }
  let text = '';
  for (const c of tag) {
    if (c > 0x7f) throw new CorruptBackupError('invalid .hmac file: not ASCII');
    text += String.fromCharCode(c);
  }
  const fields = strip(text).split('=');
  if (fields.length < 2) throw new CorruptBackupError('invalid .hmac file: no "=" in its content');
  return strip(fields[1]!).toLowerCase();
}
