// Paths inside the filesystem: POSIX, rooted at the filesystem root, carried as bytes because ext names are bytes.
import { UnsafePathError, UsageError } from '@qubes-backup/core';

const SLASH = 0x2f;
const decoder = new TextDecoder('utf-8');

/** Normalises a caller's path to an absolute byte path: `a//b/../c` → `/a/c`. `..` stops at the root. */
export function toFsPath(path: string): Buffer {
  if (typeof path !== 'string') throw new TypeError('path must be a string');
  if (path.includes('\0')) throw new UsageError('path contains a NUL byte');
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return Buffer.from('/' + parts.join('/'), 'utf8');
}

export function joinFsPath(dir: Buffer, name: Uint8Array): Buffer {
  return dir.length === 1 ? Buffer.concat([dir, name]) : Buffer.concat([dir, Buffer.of(SLASH), name]);
}

/** Decodes a name or path; bytes that are not UTF-8 become U+FFFD. */
export function decodeName(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function baseName(path: Buffer): Buffer {
  return path.subarray(path.lastIndexOf(SLASH) + 1);
}

/** A directory entry name that is safe as one path component on this host (checked before any write). */
export function assertSafeName(name: Uint8Array, where: string): void {
  const bad = name.length === 0 ? 'an empty name'
    : name.includes(SLASH) ? 'a "/" in a name'
      : name.includes(0) ? 'a NUL byte in a name'
        : (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) ? `the name "${decodeName(name)}"`
          : process.platform === 'win32' && name.includes(0x5c) ? 'a "\\" in a name'
            : undefined;
  const shown = where.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (bad !== undefined) throw new UnsafePathError(`refusing ${bad}`, { member: shown });
}
