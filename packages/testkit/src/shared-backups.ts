import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * ../shared/fixtures beside the repository (absent on a clone without it). QBT_SHARED_FIXTURES
 * names another folder, or `none` to run as a clone without it does (its suites then show their
 * cases as skipped, which is what that setting is for: checking that nothing vanishes silently).
 */
export const SHARED_FIXTURES = process.env.QBT_SHARED_FIXTURES === 'none'
  ? join(tmpdir(), 'qbt-no-shared-fixtures', String(process.pid))
  : process.env.QBT_SHARED_FIXTURES || fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));
/** Whether ../shared/fixtures is here (its real Qubes backups in `qubes/`). */
export const hasSharedFixtures = existsSync(join(SHARED_FIXTURES, 'qubes'));
/** SHARED_FIXTURES/qubes/ (real backups from make-qubes-backup), when present. */
export const SHARED = join(SHARED_FIXTURES, 'qubes') + sep;
export const hasShared = hasSharedFixtures;

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
