import {
  CorruptBackupError, UsageError, isQubesBackupError,
  type Archive, type BackupInfo, type Member, type ReadOptions, type UnitInfo,
} from '@qubes-backup/core';
import type { Opened } from './open.js';
import type { MemberResult, Sink } from './sink.js';

type ArchiveRef = Pick<Archive, 'unit' | 'path'>;

/** Which units (VMs, archives) to restore. Without `units`, every unit whose data is in the backup. */
export interface Selection {
  units?: readonly string[];
  exclude?: readonly string[];
  /** Narrows further to some archives of the chosen units (`vm5/private.img`). */
  archives?: (a: ArchiveRef) => boolean;
  /** Narrows to members at or below these paths of a unit's tree (`home/user/Documents`); the others are read, not written. */
  paths?: readonly string[];
}

export type RestoreEvent =
  | { type: 'opened'; info: BackupInfo }
  | { type: 'archive'; unit: string; path: string }
  | { type: 'member-start'; unit: string; member: string; size: number; sparse: boolean }
  | { type: 'member'; unit: string; result: MemberResult }
  | { type: 'unit-done'; unit: string }
  | { type: 'unit-failed'; unit: string; error: unknown };

export interface RunOptions extends ReadOptions, Selection {
  /** Skip a unit whose members fail and go on with the others (salvage); the report says which. */
  keepGoing?: boolean;
  /**
   * Units a previous run already restored completely (`--resume`): none of their archives is read,
   * so no key is derived for them where the source can seek past them; reported `ok` and `kept`.
   */
  restoredBefore?: (unit: UnitInfo) => boolean;
  onEvent?: (e: RestoreEvent) => void;
}

export interface UnitReport {
  readonly name: string;
  /** `ok` only when every archive of the unit was read through; `not reached` when the run stopped before it. */
  readonly status: 'ok' | 'failed' | 'not reached';
  readonly archives: number;
  readonly files: number;
  readonly bytes: number;
  readonly error?: string;
  readonly failingMember?: string;
  /** Restored completely by a previous run and kept as it was (`--resume`). */
  readonly kept?: true;
}

export interface RunReport {
  readonly ok: boolean;
  readonly units: UnitReport[];
}

const reports = new WeakMap<object, RunReport>();

/** The report of the run a thrown error stopped (what completed, what failed, what was not reached). */
export function reportOf(e: unknown): RunReport | undefined {
  return typeof e === 'object' && e !== null ? reports.get(e) : undefined;
}

/** The units a selection names, with clear errors for unknown names or units without data. */
export function selectedUnits(info: BackupInfo, sel: Selection, named?: string): Set<string> {
  const present = info.units.filter((u) => u.present).map((u) => u.name);
  const noun = info.unitNoun;
  for (const n of [...(sel.units ?? []), ...(sel.exclude ?? []), ...(named !== undefined ? [named] : [])]) {
    const u = info.units.find((x) => x.name === n);
    if (!u) throw new UsageError(`no ${noun} named '${n}' in this backup (${noun}s: ${present.join(', ') || 'none'})`);
    if (!u.present) throw new UsageError(`${noun} '${n}' is listed in the backup but its data is not in it`);
  }
  const wanted = sel.units?.length ? sel.units : named !== undefined ? [named] : present;
  const out = new Set(wanted);
  for (const n of sel.exclude ?? []) out.delete(n);
  if (out.size === 0) throw new UsageError(`nothing selected: every ${noun} named was also excluded`);
  return out;
}

/**
 * Reads the selected archives into a sink, in backup order, in one pass. Without `keepGoing` the
 * first failure stops the run, removes the failed unit's partial files and is rethrown (its report
 * from `reportOf`); with it, a unit whose member fails is skipped (its `.partial` files stay for
 * salvage) and the others go on. I/O errors and interruptions always stop the run and remove
 * nothing (`--resume` goes on from there). A unit's metadata (`vm.json`) is written once all of
 * its archives were read: its presence says the unit is complete.
 */
export async function runArchives(opened: Opened, sink: Sink, options: RunOptions): Promise<RunReport> {
  const info = opened.info;
  const chosen = selectedUnits(info, options, opened.unit);
  options.onEvent?.({ type: 'opened', info });
  const unitOf = new Map(info.units.map((u) => [u.name, u]));
  const stats = new Map<string, Stats>();
  for (const n of chosen) stats.set(n, { archives: 0, files: 0, bytes: 0, stored: new Set(), restored: new Set(), done: false });
  const kept = new Set([...chosen].filter((n) => options.restoredBefore?.(unitOf.get(n)!)));
  for (const n of kept) stats.get(n)!.done = true;
  const failed = new Map<string, unknown>();
  const select = (a: ArchiveRef) => chosen.has(a.unit) && !kept.has(a.unit) && !failed.has(a.unit) && (options.archives?.(a) ?? true);
  const rd: ReadOptions = options.signal ? { signal: options.signal } : {};
  const wanted = memberFilter(options.paths);
  const outputOf = (unit: string) => (unit === opened.unit ? '' : unitOf.get(unit)?.output ?? unit);
  let current: string | undefined;

  const fail = (unit: string, e: unknown) => {
    failed.set(unit, e);
    options.onEvent?.({ type: 'unit-failed', unit, error: e });
  };
  /** A unit's archives all read: check nothing is missing, then write its metadata. */
  const complete = async (unit: string) => {
    const st = stats.get(unit)!;
    st.done = true;
    if (failed.has(unit)) return;
    const missing = options.archives || options.paths ? undefined : opened.missing?.(unit, { archives: st.stored, files: st.restored });
    if (missing) {
      if (!options.keepGoing) throw missing;
      fail(unit, missing);
      return;
    }
    const meta = unitOf.get(unit)?.metadata;
    if (meta && !options.archives && !options.paths) await sink.metadata?.(outputOf(unit), meta.file, meta.json);
    options.onEvent?.({ type: 'unit-done', unit });
  };

  try {
    for await (const archive of opened.archives(select, rd)) {
      if (current !== undefined && current !== archive.unit) await complete(current);
      current = archive.unit;
      options.onEvent?.({ type: 'archive', unit: archive.unit, path: archive.path });
      const st = stats.get(archive.unit)!;
      st.archives++;
      st.stored.add(archive.path);
      const target = { path: archive.path, prefix: archive.prefix, outBase: outputOf(archive.unit) };
      try {
        // Saying which members will be read lets a format fetch their data ahead, and only theirs.
        for await (const m of archive.members({ ...rd, wanted: (m) => wanted(relative(m, archive)) })) {
          if (m.type === 'file') st.restored.add(relative(m, archive));
          // Not wanted: left unread, so the container skips (or seeks over) it and a Borg item's chunks are never fetched.
          if (!wanted(relative(m, archive))) continue;
          options.onEvent?.({ type: 'member-start', unit: archive.unit, member: m.path, size: m.size, sparse: m.sparse });
          const result = await sink.member(m, target, rd);
          if (result.skipped === undefined && result.type === 'file') { st.files++; st.bytes += m.size; }
          options.onEvent?.({ type: 'member', unit: archive.unit, result });
        }
      } catch (e) {
        if (!options.keepGoing || !isQubesBackupError(e) || ['E_IO', 'E_DISK_FULL', 'E_EXISTS', 'E_USAGE'].includes(e.code)) throw e;
        fail(archive.unit, e);
      }
    }
    if (current !== undefined) await complete(current);
    current = undefined;
    if (!options.archives && !options.paths) {
      for (const [name, st] of stats) {
        if (st.archives > 0 || failed.has(name) || kept.has(name)) continue;
        const e = opened.missing?.(name, { archives: st.stored, files: st.restored }) ?? new CorruptBackupError(
          `no data for ${info.unitNoun} '${name}' in the backup although the backup lists it (missing or truncated backup)`, { member: name });
        if (!options.keepGoing) throw e;
        fail(name, e);
      }
    }
    await sink.finish();
  } catch (e) {
    if (current !== undefined) {
      failed.set(current, e);
      // A damaged unit's output goes. After a fault of this machine (a read or write error, disk
      // full, Ctrl-C) every file already renamed is complete and verified: it stays for `--resume`.
      if (!options.keepGoing && !machineFault(e, options.signal)) await sink.discard?.(outputOf(current));
    }
    const report = { ok: false, units: unitReports(stats, failed, kept) };
    if (typeof e === 'object' && e !== null) reports.set(e, report);
    throw e;
  }
  return { ok: failed.size === 0, units: unitReports(stats, failed, kept) };
}

/** An interruption, or an error of this machine rather than of the backup: not a reason to remove what was restored. */
function machineFault(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (isQubesBackupError(e) && (e.code === 'E_IO' || e.code === 'E_DISK_FULL'));
}

interface Stats {
  archives: number;
  files: number;
  bytes: number;
  /** Stored paths of its archives, and its regular files relative to the unit, to notice dropped ones. */
  stored: Set<string>;
  restored: Set<string>;
  /** Every archive of the unit was read. */
  done: boolean;
}

function unitReports(stats: Map<string, Stats>, failed: Map<string, unknown>, kept: ReadonlySet<string>): UnitReport[] {
  return [...stats].map(([name, s]) => {
    const e = failed.get(name);
    const status: UnitReport['status'] = failed.has(name) ? 'failed' : s.done ? 'ok' : 'not reached';
    return {
      name, status, archives: s.archives, files: s.files, bytes: s.bytes, ...(kept.has(name) ? { kept: true as const } : {}),
      ...(failed.has(name) ? { error: (e as Error).message, ...(isQubesBackupError(e) && e.member ? { failingMember: e.member } : {}) } : {}),
    };
  });
}

/** A member's path relative to its unit's tree (`private.img`, `home/user/a.txt`). */
function relative(m: Member, a: Archive): string {
  return m.path.slice(m.path.startsWith(a.prefix) ? a.prefix.length : 0).split('/').filter((p) => p !== '' && p !== '.').join('/');
}

/** Members at or below one of `paths` (relative to the unit; leading and trailing slashes ignored). */
function memberFilter(paths: readonly string[] | undefined): (rel: string) => boolean {
  if (!paths?.length) return () => true;
  const roots = paths.map((p) => p.split('/').filter((x) => x !== '' && x !== '.').join('/'));
  if (roots.includes('')) return () => true;
  return (rel) => roots.some((r) => rel === r || rel.startsWith(`${r}/`) || r.startsWith(`${rel}/`));
}
