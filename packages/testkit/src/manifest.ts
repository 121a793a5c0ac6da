// Compares a restored folder with a fixture manifest, in the CLI's output layout
// (<dest>/<vm name>/<file>, <dest>/dom0-home/<user>/...), the way ../shared/fixtures/check-restore does.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SHARED_FIXTURES } from './shared-backups.js';

export interface Entry { path: string; type?: string; size?: number; sha256?: string; target?: string; sparse?: boolean; allocated_bytes?: number | null }
interface Vm { name: string; class?: string; backup_path?: string | null; files?: Entry[] }
export interface Manifest { passphrase: string; vms?: Vm[]; files?: Entry[]; expect_refusal?: string | null; stored_as?: { file: string }; backup_file?: string; format_version?: number }

/** The repository's own test-fixtures (SHARED_FIXTURES, ../shared/fixtures, is in shared-backups.ts). */
export const OURS = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures');

export function loadManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** (output path, entry) for every file a restore of one of our test-fixtures/<name> must produce (their manifests list output paths). */
export function ourExpectedFiles(name: string): [string, Entry][] {
  return (loadManifest(join(OURS, name, 'manifest.json')).files ?? []).map((e) => [e.path, e]);
}

/** (output path, entry) for every file a restore must produce. */
export function expectedFiles(m: Manifest): [string, Entry][] {
  const out: [string, Entry][] = [];
  for (const vm of m.vms ?? v1Vms(m)) {
    const bp = (vm.backup_path ?? '').replace(/\/+$/, '');
    for (const e of vm.files ?? []) {
      if (vm.class === 'AdminVM' || vm.class === 'QubesAdminVm' || e.path.startsWith('dom0-home/')) { out.push([e.path, e]); continue; }
      let rest = bp && e.path.startsWith(bp) ? e.path.slice(bp.length).replace(/^\/+/, '') : e.path.split('/').slice(1).join('/');
      rest = rest.split('/').filter((x) => x !== '' && x !== '.').join('/');
      out.push([vm.name + (rest ? `/${rest}` : ''), e]);
    }
  }
  return out;
}

function v1Vms(m: Manifest): Vm[] {
  const vms = new Map<string, Vm>();
  for (const e of m.files ?? []) {
    const parts = e.path.split('/');
    if (['appvms', 'vm-templates', 'servicevms'].includes(parts[0]!) && parts.length >= 2) {
      const vm = vms.get(parts[1]!) ?? { name: parts[1]!, backup_path: parts.slice(0, 2).join('/'), files: [] };
      vm.files!.push(e); vms.set(parts[1]!, vm);
    } else if (parts[0] === 'dom0-home' && parts.length >= 2) {
      const vm = vms.get('dom0') ?? { name: 'dom0', class: 'AdminVM', backup_path: 'dom0-home', files: [] };
      vm.files!.push(e); vms.set('dom0', vm);
    }
  }
  return [...vms.values()];
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Lists every difference between `dest` and the manifest; empty when identical. */
export async function compareWithManifest(dest: string, files: [string, Entry][]): Promise<string[]> {
  const bad: string[] = [];
  for (const [rel, e] of files) {
    const p = join(dest, rel);
    const st = await fsp.lstat(p).catch(() => undefined);
    const t = e.type ?? 'file';
    if (!st) { bad.push(`${rel}: missing`); continue; }
    if (t === 'dir') { if (!st.isDirectory()) bad.push(`${rel}: not a dir`); continue; }
    if (t === 'symlink') {
      if (!st.isSymbolicLink()) bad.push(`${rel}: not a symlink`);
      else if (e.target && (await fsp.readlink(p)) !== e.target) bad.push(`${rel}: wrong target`);
      continue;
    }
    if (!st.isFile()) { bad.push(`${rel}: not a file`); continue; }
    if (e.size !== undefined && st.size !== e.size) { bad.push(`${rel}: size ${st.size} != ${e.size}`); continue; }
    if (e.sha256 && (await sha256(p)) !== e.sha256) { bad.push(`${rel}: sha256 differs`); continue; }
    if (e.sparse && typeof e.allocated_bytes === 'number' && st.blocks * 512 > 2 * e.allocated_bytes + 65536) {
      bad.push(`${rel}: not sparse (${st.blocks * 512} bytes allocated, expected about ${e.allocated_bytes})`);
    }
  }
  return bad;
}

export function sharedCases(): { name: string; backup: string; manifest: Manifest; xz?: boolean; v1?: boolean }[] {
  const out: { name: string; backup: string; manifest: Manifest; xz?: boolean; v1?: boolean }[] = [];
  if (!existsSync(SHARED_FIXTURES)) return out;
  const q = join(SHARED_FIXTURES, 'qubes');
  for (const d of existsSync(q) ? readdirSorted(q) : []) {
    const m = loadManifest(join(q, d, 'manifest.json'));
    out.push({ name: `qubes/${d}`, backup: join(q, d, m.backup_file!), manifest: m });
  }
  const t = join(SHARED_FIXTURES, 'qubes-testsuite');
  for (const f of existsSync(t) ? readdirSorted(t).filter((x) => x.endsWith('.expect.json')) : []) {
    const m = loadManifest(join(t, f));
    const file = m.stored_as!.file;
    out.push({
      name: `qubes-testsuite/${f.replace('.expect.json', '')}`, backup: join(t, file), manifest: m,
      ...(file.endsWith('.tar.xz') ? { v1: true } : file.endsWith('.xz') ? { xz: true } : {}),
    });
  }
  return out;
}

function readdirSorted(d: string): string[] {
  return readdirSync(d).sort();
}
