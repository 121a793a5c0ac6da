import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptBackupError, IoError, UsageError, isQubesBackupError,
  type BackupModel, type InnerArchive, type InnerArchiveInfo, type ReadOptions, type Registry, type VmInfo,
} from '@qubes-backup/core';
import type { Opened } from './open.js';
import { type MemberResult, type Sink } from './sink.js';

/**
 * No restored file may claim a larger logical size: 16 TiB is ext4's own file size limit and far
 * beyond any Qubes volume; a sparse map claiming more is hostile.
 */
export const MAX_FILE_SIZE = 2 ** 44;

/** Which VMs to restore. Without `vms`, everything in the backup (dom0 home included). */
export interface Selection {
  vms?: readonly string[];
  exclude?: readonly string[];
  /** With `vms`, also dom0's home. */
  dom0Home?: boolean;
  /** Narrows further to some stored files of the chosen VMs (`vm5/private.img`). */
  archives?: (a: InnerArchiveInfo) => boolean;
}

export type RestoreEvent =
  | { type: 'opened'; model: BackupModel }
  | { type: 'archive'; vm: string; path: string }
  | { type: 'member-start'; vm: string; member: string; size: number; sparse: boolean }
  | { type: 'member'; vm: string; result: MemberResult }
  | { type: 'vm-failed'; vm: string; error: unknown };

export interface RunOptions extends ReadOptions, Selection {
  registry: Registry;
  /** Skip a VM whose members fail and go on with the others (salvage); the report says which. */
  keepGoing?: boolean;
  onEvent?: (e: RestoreEvent) => void;
}

export interface VmReport {
  readonly name: string;
  readonly klass: string;
  readonly status: 'ok' | 'failed';
  readonly archives: number;
  readonly files: number;
  readonly bytes: number;
  readonly error?: string;
  readonly failingMember?: string;
}

export interface RunReport {
  readonly ok: boolean;
  readonly vms: VmReport[];
}

/** The VMs a selection names (dom0 as `dom0`), with clear errors for unknown or absent names. */
export function selectedVms(model: BackupModel, sel: Selection): Set<string> {
  // VMs Qubes synthesizes while reading an old qubes.xml (disp-<netvm>) are "included" without data.
  const included = model.vms.filter((v) => v.included && v.klass !== 'AdminVM' && v.backupPath).map((v) => v.name);
  const all = new Set(included);
  const known = new Set(model.vms.map((v) => v.name));
  for (const n of [...(sel.vms ?? []), ...(sel.exclude ?? [])]) {
    if (n === 'dom0' && model.dom0Home) continue;
    if (!known.has(n)) throw new UsageError(`no VM named '${n}' in this backup (VMs: ${included.join(', ') || 'none'})`);
    if (!all.has(n)) throw new UsageError(`VM '${n}' is listed in qubes.xml but its data is not in this backup`);
  }
  const out = new Set(sel.vms?.length ? sel.vms.filter((n) => n !== 'dom0') : included);
  if (model.dom0Home && (!sel.vms?.length || sel.dom0Home || sel.vms.includes('dom0'))) out.add('dom0');
  for (const n of sel.exclude ?? []) out.delete(n);
  return out;
}

/**
 * Reads the selected inner archives through the registry's tar container into a sink, in backup
 * order, in one pass. Without `keepGoing` the first failure stops the run, removes the failed VM's
 * partial files and is rethrown with a `report`; with it, a VM whose member fails is skipped (its
 * `.partial` files stay for salvage) and the others go on; I/O errors always stop the run.
 */
export async function runArchives(opened: Opened, sink: Sink, options: RunOptions): Promise<RunReport> {
  const chosen = selectedVms(opened.model, options);
  options.onEvent?.({ type: 'opened', model: opened.model });
  const tar = options.registry.get('container', 'tar');
  const stats = new Map<string, VmStats>();
  for (const n of chosen) stats.set(n, { archives: 0, files: 0, bytes: 0 });
  const failed = new Map<string, unknown>();
  /** Stored files and restored file names seen per VM, to notice files dropped from the backup. */
  const stored = new Map<string, Set<string>>();
  const restored = new Map<string, Set<string>>();
  const names = (vm: string) => restored.get(vm) ?? restored.set(vm, new Set()).get(vm)!;
  const select = (a: InnerArchiveInfo) => chosen.has(a.vm) && !failed.has(a.vm) && (options.archives?.(a) ?? true);
  const rd: ReadOptions = options.signal ? { signal: options.signal } : {};
  let current: string | undefined;
  try {
    for await (const archive of opened.archives(select, rd)) {
      current = archive.vm;
      options.onEvent?.({ type: 'archive', vm: archive.vm, path: archive.path });
      const st = stats.get(archive.vm)!;
      st.archives++;
      stored.get(archive.vm)?.add(archive.path) ?? stored.set(archive.vm, new Set([archive.path]));
      const target = { path: archive.path, prefix: archive.prefix, outBase: outBaseOf(archive) };
      try {
        const members = archive.members ? archive.members()
          : archive.multiVolume && tar.volumeEntries
            ? tar.volumeEntries(archive.volumes(), { ...rd, maxSize: MAX_FILE_SIZE })
            : tar.entries(firstVolume(archive), { ...rd, maxSize: MAX_FILE_SIZE });
        for await (const m of members) {
          if (m.type === 'file') names(archive.vm).add(m.path.slice(archive.prefix.length).split('/').filter((p) => p !== '' && p !== '.').join('/'));
          options.onEvent?.({ type: 'member-start', vm: archive.vm, member: m.path, size: m.size, sparse: m.sparse });
          const result = await sink.member(m, target, rd);
          if (result.skipped === undefined && m.type === 'file') { st.files++; st.bytes += m.size; }
          options.onEvent?.({ type: 'member', vm: archive.vm, result });
        }
      } catch (e) {
        if (!options.keepGoing || !isQubesBackupError(e) || ['E_IO', 'E_DISK_FULL', 'E_EXISTS', 'E_USAGE'].includes(e.code)) throw e;
        failed.set(archive.vm, e);
        options.onEvent?.({ type: 'vm-failed', vm: archive.vm, error: e });
      }
      current = undefined;
    }
    if (!options.archives) {
      for (const [name, st] of stats) {
        if (failed.has(name)) continue;
        const missing = st.archives === 0 ? undefined : missingImage(opened.model, name, stored.get(name), restored.get(name));
        if (st.archives > 0 && missing === undefined) continue;
        const e = st.archives === 0
          ? new CorruptBackupError(
            `no data for ${name === 'dom0' ? "dom0's home" : `VM '${name}'`} in the backup although qubes.xml lists it (missing or truncated backup)`,
            { member: backupPathOf(opened.model, name) })
          : new CorruptBackupError(`VM '${name}' has no ${missing} in the backup although qubes.xml says it was backed up (a stored file was dropped)`,
            { member: `${backupPathOf(opened.model, name).replace(/\/+$/, '')}/${missing}` });
        if (!options.keepGoing) throw e;
        failed.set(name, e);
        options.onEvent?.({ type: 'vm-failed', vm: name, error: e });
      }
    }
    await sink.finish();
  } catch (e) {
    if (current !== undefined) failed.set(current, e);
    if (!options.keepGoing && current !== undefined) await sink.discard?.(outBaseOf({ vm: current }));
    const vms = report(opened.model, stats, failed);
    if (isQubesBackupError(e)) Object.assign(e, { report: { ok: false, vms } });
    throw e;
  }
  const vms = report(opened.model, stats, failed);
  return { ok: failed.size === 0, vms };
}

interface VmStats { archives: number; files: number; bytes: number }

function report(model: BackupModel, stats: Map<string, VmStats>, failed: Map<string, unknown>): VmReport[] {
  const klass = (n: string) => (n === 'dom0' ? 'AdminVM' : model.vms.find((v) => v.name === n)?.klass ?? '');
  return [...stats].map(([name, s]) => {
    const e = failed.get(name);
    return {
      name, klass: klass(name), status: failed.has(name) ? 'failed' : 'ok', ...s,
      ...(failed.has(name) ? { error: (e as Error).message, ...(isQubesBackupError(e) && e.member ? { failingMember: e.member } : {}) } : {}),
    } as VmReport;
  });
}

/** Classes of R2/R3 qubes.xml whose VMs always have a private.img. */
const CORE2_WITH_PRIVATE = ['QubesAppVm', 'QubesHVm', 'QubesNetVm', 'QubesProxyVm', 'QubesTemplateVm', 'QubesTemplateHVm'];

/**
 * The first disk image a VM must have but the backup did not hold: format 4 stores every volume
 * that qubes.xml marks `save_on_stop` as `<volume>.img`; formats 2-3 always store a private.img.
 * No MAC covers the list of stored files, so this is how a dropped one is noticed.
 */
function missingImage(model: BackupModel, name: string, stored: Set<string> | undefined, restored: Set<string> | undefined): string | undefined {
  const vm = model.vms.find((v) => v.name === name);
  if (!vm || vm.klass === 'AdminVM') return undefined;
  const base = (vm.backupPath ?? '').replace(/\/+$/, '');
  if (model.version === 4) {
    for (const v of vm.volumes ?? []) {
      if (v.saveOnStop && !stored?.has(`${base}/${v.name}.img`)) return `${v.name}.img`;
    }
    return undefined;
  }
  if ((model.version === 2 || model.version === 3) && CORE2_WITH_PRIVATE.includes(vm.sourceClass ?? '') && !restored?.has('private.img')) {
    return 'private.img';
  }
  return undefined;
}

function backupPathOf(model: BackupModel, name: string): string {
  return (name === 'dom0' ? model.dom0Home?.backupPath : model.vms.find((v) => v.name === name)?.backupPath) ?? name;
}

function outBaseOf(a: Pick<InnerArchive, 'vm'>): string {
  return a.vm === 'dom0' ? 'dom0-home' : a.vm;
}

async function* firstVolume(a: InnerArchive): AsyncIterable<Uint8Array> {
  for await (const v of a.volumes()) { yield* v; return; }
}

/** Writes `<dest>/<vm>/vm.json`: the VM's qubes.xml settings, so a restore keeps more than its disks. */
export async function writeVmJson(dest: string, vm: VmInfo, force = false): Promise<void> {
  const dir = join(dest, vm.name);
  await fsp.mkdir(dir, { recursive: true });
  const path = join(dir, 'vm.json');
  try {
    await fsp.writeFile(path, JSON.stringify(vm, null, 2) + '\n', { flag: force ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new IoError(`'${path}' already exists (use --force to replace it)`, {}, 'E_EXISTS');
    throw new IoError(`cannot write '${path}': ${(e as Error).message}`, { cause: e });
  }
}
