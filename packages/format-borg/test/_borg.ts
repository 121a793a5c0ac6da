// The committed Borg fixtures (test-fixtures/borg, made by Debian's borg 1.2.4) and helpers to
// compare a restore with what borg recorded for them.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import { OURS } from '@qubes-backup/testkit';

export const BORG = join(OURS, 'borg');

export interface BorgFile {
  path: string;
  path_hex?: string;
  type: 'file' | 'dir' | 'symlink' | 'fifo';
  mode: number;
  mtime_ns: number;
  size?: number;
  sha256?: string;
  target?: string;
  hardlink_to?: string;
  allocated_after_sparse_extract?: number;
}

export interface BorgCase {
  name: string;
  dir: string;
  repo: string;
  expected: {
    passphrase: string | null;
    encryption: string;
    append_only: boolean;
    repository_id: string;
    keyfile: string | null;
    paper_key: string | null;
    list: { archives: { name: string; id: string; start: string }[] };
    archives: { name: string; id: string; files: BorgFile[] }[];
    deleted_archives?: { name: string; id: string; files: BorgFile[] }[];
    transaction_history: { transaction_id: number; archives: string[] }[];
    paper_key_typo?: { paper_line: number };
  };
}

export const cases: BorgCase[] = existsSync(BORG)
  ? readdirSync(BORG).filter((d) => existsSync(join(BORG, d, 'expected.json'))).sort().map((name) => ({
    name, dir: join(BORG, name), repo: join(BORG, name, 'repo'),
    expected: JSON.parse(readFileSync(join(BORG, name, 'expected.json'), 'utf8')) as BorgCase['expected'],
  }))
  : [];

/** The library options for a case: its passphrase and, for keyfile modes, its key file. */
export function optionsOf(c: BorgCase, settings: Record<string, string | boolean> = {}) {
  return {
    registry: defaultRegistry(),
    passphrase: c.expected.passphrase ?? '',
    settings: { ...(c.expected.keyfile ? { keyfile: join(c.dir, c.expected.keyfile) } : {}), ...settings },
  };
}

/** Every difference between a restored tree and borg's record of the archive (empty when identical). */
export function compareWithBorg(dest: string, files: readonly BorgFile[]): string[] {
  const bad: string[] = [];
  const at = (f: BorgFile): string | Buffer => (f.path_hex ? Buffer.concat([Buffer.from(`${dest}/`), Buffer.from(f.path_hex, 'hex')]) : join(dest, f.path));
  for (const f of files) {
    const p = at(f);
    let st;
    try { st = lstatSync(p, { bigint: true }); } catch { if (f.type !== 'fifo') bad.push(`${f.path}: missing`); continue; }
    if (f.type === 'fifo') { bad.push(`${f.path}: a fifo was created`); continue; }
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
    if (kind !== f.type) { bad.push(`${f.path}: ${kind}, expected ${f.type}`); continue; }
    if (f.type === 'symlink') {
      if (readlinkSync(p).toString() !== f.target) bad.push(`${f.path}: link target ${readlinkSync(p).toString()}, expected ${f.target}`);
      continue;
    }
    if (Number(st.mode & 0o7777n) !== f.mode) bad.push(`${f.path}: mode ${(Number(st.mode) & 0o7777).toString(8)}, expected ${f.mode.toString(8)}`);
    // utimes takes seconds as a double: the restored time is exact to about a microsecond.
    if (Math.abs(Number(st.mtimeNs - BigInt(f.mtime_ns))) > 2000) bad.push(`${f.path}: mtime ${st.mtimeNs}, expected ${f.mtime_ns}`);
    if (f.type !== 'file') continue;
    if (Number(st.size) !== f.size) { bad.push(`${f.path}: size ${st.size}, expected ${f.size}`); continue; }
    if (createHash('sha256').update(readFileSync(p)).digest('hex') !== f.sha256) bad.push(`${f.path}: sha256 differs`);
    if (f.hardlink_to !== undefined) {
      const master = files.find((x) => x.path === f.hardlink_to)!;
      if (statSync(at(master)).ino !== Number(st.ino)) bad.push(`${f.path}: not a hard link of ${f.hardlink_to}`);
    }
    if (f.allocated_after_sparse_extract !== undefined && Number(st.blocks) * 512 > 2 * f.allocated_after_sparse_extract + 65536) {
      bad.push(`${f.path}: ${Number(st.blocks) * 512} bytes allocated, borg extract --sparse gives ${f.allocated_after_sparse_extract}`);
    }
  }
  return bad;
}

/** sha256 and mtime of every file of a repository, to show nothing in it changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { walk(p); continue; }
      const st = statSync(join(dir, p));
      out.set(p, `${createHash('sha256').update(readFileSync(join(dir, p))).digest('hex')} ${st.mtimeMs} ${st.size}`);
    }
  };
  walk('');
  return out;
}
