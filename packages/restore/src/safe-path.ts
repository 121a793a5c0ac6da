import { sep } from 'node:path';
import { UnsafePathError } from '@qubes-backup/core';

/**
 * Maps an inner member name to path components under its unit's output folder. The name must lie
 * under the archive's own path (`vm5/private.img`, `dom0-home/user/…`, `vm9/./…`; anything for a
 * whole archive, path `''`); `.` and empty components are dropped as GNU tar does; `..`, NUL and
 * absolute names are refused, and backslashes where they separate folders.
 */
export function memberComponents(name: string, archivePath: string, prefix: string): string[] {
  const clean = name.replace(/\/+$/, '');
  if (archivePath !== '' && clean !== archivePath && !clean.startsWith(`${archivePath}/`)) {
    throw new UnsafePathError(`member is outside its archive '${archivePath}'`, { member: name });
  }
  if (name.startsWith('/')) throw new UnsafePathError('absolute member name', { member: name });
  if (name.includes('\0')) throw new UnsafePathError('member name contains NUL', { member: name });
  // A backslash is a character of a Linux name (`back\slash.txt` in a home), but a folder
  // separator where paths take it as one (Windows): there `..\..\x` would climb out.
  if (sep === '\\' && name.includes('\\')) throw new UnsafePathError('member name contains a backslash, a folder separator here', { member: name });
  const rest = clean.slice(prefix.length);
  const parts = rest.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafePathError("member name contains '..'", { member: name });
  return parts;
}

/** A link target (hardlink) resolved against the archive the same way; undefined when it escapes. */
export function linkComponents(target: string, archivePath: string, prefix: string): string[] | undefined {
  try {
    return memberComponents(target, archivePath, prefix);
  } catch {
    return undefined;
  }
}
