import { CorruptBackupError, utf8 } from '@qubes-backup/core';
import { decodeNumeric } from './base256.js';
import { cString } from './_text.js';
import { BLOCK } from './limits.js';

/** `posix`: magic `ustar\0` `00` (has `prefix`); `gnu`: `ustar  \0`; `v7`: no magic. */
export type TarFormat = 'posix' | 'gnu' | 'v7';

/** One decoded 512-byte header block, before PAX, `L`/`K` or sparse records are applied. */
export interface TarHeader {
  readonly format: TarFormat;
  /** The name field, with the POSIX `prefix` joined in front for `posix` headers. */
  readonly name: string;
  /** The same name as stored (NUL-terminated bytes, prefix joined), for byte comparisons. */
  readonly nameBytes: Uint8Array;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** The `size` field: bytes of data that follow the header (padded to 512). */
  readonly size: number;
  readonly mtime: number;
  /** One character; a NUL typeflag is reported as `'\0'`. */
  readonly typeflag: string;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** GNU multi-volume offset (bytes 369..381): what an `M` header says is already stored. 0 elsewhere. */
  readonly offset: number;
}

const MAGIC_POSIX = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]; // "ustar\0" "00"
const MAGIC_GNU = [0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00]; // "ustar  \0"

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Checks the header checksum; historic writers summed signed chars, so both sums are accepted. */
export function verifyChecksum(block: Uint8Array): boolean {
  if (block.length !== BLOCK) return false;
  let stored: number;
  try {
    stored = decodeNumeric(block.subarray(148, 156), 'checksum');
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b >= 0x80 ? b - 256 : b;
  }
  // An all-blank checksum field would match a block of zeros: a zero block is never a header.
  return (stored === unsigned || stored === signed) && unsigned !== 8 * 0x20;
}

function hasMagic(block: Uint8Array, magic: readonly number[]): boolean {
  for (let i = 0; i < magic.length; i++) if (block[257 + i] !== magic[i]) return false;
  return true;
}

export function formatOf(block: Uint8Array): TarFormat {
  if (hasMagic(block, MAGIC_POSIX)) return 'posix';
  if (hasMagic(block, MAGIC_GNU)) return 'gnu';
  return 'v7';
}

/**
 * Decodes one header block. Throws CorruptBackupError when the block is not 512 bytes, the
 * checksum does not match, or a numeric field is malformed.
 */
export function decodeHeader(block: Uint8Array): TarHeader {
  if (!(block instanceof Uint8Array) || block.length !== BLOCK) {
    throw new CorruptBackupError('tar header must be one 512-byte block');
  }
  if (!verifyChecksum(block)) throw new CorruptBackupError('bad tar header checksum (not a tar archive, or corrupted)');
  const format = formatOf(block);
  const typeflag = String.fromCharCode(block[156]!);
  let nameBytes = cString(block.subarray(0, 100));
  if (format === 'posix') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix.length > 0) {
      const joined = new Uint8Array(prefix.length + 1 + nameBytes.length);
      joined.set(prefix, 0);
      joined[prefix.length] = 0x2f;
      joined.set(nameBytes, prefix.length + 1);
      nameBytes = joined;
    }
  }
  const ext = format !== 'v7';
  // GNU writes `M` continuation headers without any magic, but with the GNU offset field.
  const gnuFields = format === 'gnu' || (format === 'v7' && typeflag === 'M');
  const num = (from: number, to: number, what: string): number => decodeNumeric(block.subarray(from, to), what);
  return {
    format,
    name: utf8.decodeEscaped(nameBytes),
    nameBytes,
    mode: num(100, 108, 'mode'),
    uid: num(108, 116, 'uid'),
    gid: num(116, 124, 'gid'),
    size: num(124, 136, 'size'),
    mtime: num(136, 148, 'mtime'),
    typeflag,
    linkname: utf8.decodeEscaped(cString(block.subarray(157, 257))),
    uname: ext ? utf8.decodeEscaped(cString(block.subarray(265, 297))) : '',
    gname: ext ? utf8.decodeEscaped(cString(block.subarray(297, 329))) : '',
    devmajor: ext ? num(329, 337, 'devmajor') : 0,
    devminor: ext ? num(337, 345, 'devminor') : 0,
    offset: gnuFields ? num(369, 381, 'multi-volume offset') : 0,
  };
}
