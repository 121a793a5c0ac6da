import { UnsafePathError } from '@qubes-backup/core';

/** `<path>.NNN<suffix>`: a stored chunk name (3 or more digits, numeric order). */
export interface ChunkName {
  readonly path: string;
  readonly index: number;
  /** The name without `suffix` (what the v4 scrypt passphrase binds: `vm5/private.img.000`). */
  readonly stem: string;
}

export function parseChunkName(name: string, suffix: string): ChunkName | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, name.length - suffix.length);
  const m = /^(.+)\.([0-9]{3,})$/s.exec(stem);
  if (!m) return undefined;
  const digits = m[2]!;
  // '%03d' formatting: no leading zeros beyond three digits ("0100" is not chunk 100).
  if (digits.length > 3 && digits.startsWith('0')) return undefined;
  const index = Number(digits);
  if (!Number.isSafeInteger(index)) return undefined;
  return { path: m[1]!, index, stem };
}

/**
 * Refuses a stored (outer) member name that could address anything outside the backup's own
 * namespace: absolute, `..` or empty components, NUL, backslash (spec §8.5: validate outer names).
 */
export function assertSafeStoredName(name: string): void {
  const parts = name.replace(/\/$/, '').split('/');
  if (name.startsWith('/') || /[\0\\]/.test(name) || parts.some((p) => p === '..' || p === '')) {
    throw new UnsafePathError('unsafe member name in the backup (absolute, .., empty component, NUL or backslash)', { member: name });
  }
}
