import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** /work/shared/fixtures/qubes (real backups from make-qubes-backup), when present. */
export const SHARED = fileURLToPath(new URL('../../../../shared/fixtures/qubes/', import.meta.url));
export const hasShared = existsSync(SHARED);

export interface SharedBackup {
  dir: string;
  manifest: {
    format_version: number; passphrase: string; encrypted: boolean; hmac_algorithm: string | null;
    crypto_algorithm: string | null; compression_filter: string | null; backup_id: string | null;
    scrypt: { logN: number; r: number; p: number } | null;
  };
  /** Outer members in order, name → bytes (these backups are small). */
  members: Map<string, Uint8Array>;
}

/**
 * A minimal reader for an outer tar, independent of @qubes-backup/tar (so a bug there cannot hide
 * one in the package under test): appended tars, zero blocks skipped, GNU L and PAX path honoured.
 */
export function outerMembers(tar: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
  let longName: string | undefined;
  for (let o = 0; o + 512 <= tar.length;) {
    const h = tar.subarray(o, o + 512);
    if (h.every((x) => x === 0)) { o += 512; continue; }
    const size = parseInt(text(h.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const body = tar.subarray(o + 512, o + 512 + size);
    o += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = text(body); continue; }
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body));
      if (m) longName = m[1];
      continue;
    }
    const prefix = text(h.subarray(345, 500));
    const name = longName ?? (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    longName = undefined;
    if (type === '0' || type === '\0') out.set(name, body);
  }
  return out;
}

/** The shared backups whose manifest passes `filter` (none when the folder is absent). */
export function sharedBackups(filter: (m: SharedBackup['manifest']) => boolean): SharedBackup[] {
  if (!hasShared) return [];
  const out: SharedBackup[] = [];
  for (const dir of readdirSync(SHARED).sort()) {
    const manifest = JSON.parse(readFileSync(`${SHARED}${dir}/manifest.json`, 'utf8')) as SharedBackup['manifest'] & { backup_file: string };
    if (!filter(manifest)) continue;
    out.push({ dir, manifest, members: outerMembers(new Uint8Array(readFileSync(`${SHARED}${dir}/${manifest.backup_file}`))) });
  }
  return out;
}
