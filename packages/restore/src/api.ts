import { join } from 'node:path';
import { UsageError, type BackupInfo, type Member, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import { opening, type BackupOrLocation, type OpenOptions } from './open.js';
import { runArchives, selectedUnits, type RestoreEvent, type RunReport, type Selection } from './run.js';
import { directorySink, nullSink, type Sink } from './sink.js';
import { makeDirs } from './dirs.js';
import { planExtract, spaceShortage, type ExtractPlan } from './plan.js';

/** How to open a backup: the registry of formats and codecs to use, the passphrase, plugin options. */
export type BackupOptions = OpenOptions;

export interface VerifyOptions extends BackupOptions, Selection {
  /** Check every unit even when one fails. */
  keepGoing?: boolean;
  onEvent?: (e: RestoreEvent) => void;
}

export interface ExtractOptions extends VerifyOptions {
  dest: string;
  /** Replace existing output files. */
  force?: boolean;
  /**
   * Go on from an interrupted run into the same `dest`: units it completed are skipped (their
   * archives never read), files it completed are kept, files it left `.partial` are written again.
   */
  resume?: boolean;
  /** Refuse to start (IoError `E_DISK_FULL`) when `dest` has less free space than the units hold (default true). */
  spaceCheck?: boolean;
}

/** What `inspect` returns: the backup's description (JSON data) and its presentation for people. */
export interface Inspection {
  readonly info: BackupInfo;
  readonly display: OpenedBackup['display'];
  /**
   * What was read, as its source names it (a path, `sftp://host/path`; a URL without its query's
   * values, which may be credentials), with `::ARCHIVE` when one was named.
   */
  readonly location: string;
}

/**
 * Opens a backup and returns what it holds (authenticated, where the format authenticates anything).
 * For a local file, units are shown as the members found say (`OpenedBackup.survey`): a VM qubes.xml
 * lists but the backup lacks (cut short, a member dropped) is not reported as present.
 */
export async function inspect(location: BackupOrLocation, o: BackupOptions): Promise<Inspection> {
  const { opened, close } = await opening(location, o);
  try {
    const shown = opened.local && opened.survey ? await opened.survey(o) : opened;
    const name = opened.input.kind === 'file' ? opened.input.source.name : opened.input.dir.name;
    return { info: shown.info, display: shown.display, location: opened.unit !== undefined ? `${name}::${opened.unit}` : name };
  } finally {
    await close();
  }
}

/** Authenticates, decrypts, decompresses and parses every selected member; writes nothing. */
export async function verify(location: BackupOrLocation, o: VerifyOptions): Promise<RunReport & { info: BackupInfo }> {
  const { opened, close } = await opening(location, { ...o, checking: true });
  try {
    return { ...await runArchives(opened, nullSink(), o), info: opened.info };
  } finally {
    await close();
  }
}

/**
 * Restores the selected units under `dest`, each into its own folder (`<dest>/<vm>/private.img`,
 * `<dest>/dom0-home/<user>/`, `<dest>/<archive>/…`); a unit the location names (`REPO::ARCHIVE`)
 * directly into `dest`.
 */
export async function extract(location: BackupOrLocation, o: ExtractOptions): Promise<RunReport & { info: BackupInfo }> {
  const { opened, close } = await opening(location, o);
  try {
    const plan = await planExtract(opened, o.dest, o);
    // Parts of units (paths, some archives) take an unknown share of their size: not checked.
    const whole = !o.paths?.length && !o.archives;
    const short = o.spaceCheck === false || !whole ? undefined : spaceShortage(plan);
    if (short) throw short;
    await makeDirs(o.dest);
    const kept = new Set(plan.units.filter((u) => u.kept).map((u) => u.name));
    const sink = directorySink(o.dest, { force: o.force ?? false, resume: o.resume ?? false });
    const report = await runArchives(opened, sink, { ...o, restoredBefore: (u) => kept.has(u.name) });
    return { ...report, info: opened.info };
  } finally {
    await close();
  }
}

/** What `extract` would write, where, and the space it needs and has (`--dry-run`); writes nothing. */
export async function planRestore(location: BackupOrLocation, o: Omit<ExtractOptions, 'force' | 'spaceCheck'>): Promise<ExtractPlan & { info: BackupInfo }> {
  const { opened, close } = await opening(location, o);
  try {
    return { ...await planExtract(opened, o.dest, o), info: opened.info };
  } finally {
    await close();
  }
}

export interface ListOptions extends BackupOptions, Pick<Selection, 'units'> {
  /** The folder (or file) to list inside each unit's tree; default its root. */
  path?: string;
  /** The whole tree below `path`, not only its entries. */
  recursive?: boolean;
}

/** One entry of a unit's tree, as `list` reports it. */
export interface ListedEntry {
  readonly unit: string;
  /** Relative to the unit's tree: `home/user/a.txt`. */
  readonly path: string;
  readonly type: Member['type'];
  readonly size: number;
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly linkTarget?: string;
}

/**
 * The entries of the selected units' trees below `path` (for backups of file trees, such as Borg
 * archives), without reading any file's data. Throws UsageError when `path` names nothing.
 */
export async function* list(location: BackupOrLocation, o: ListOptions): AsyncIterable<ListedEntry> {
  const { opened, close } = await opening(location, o);
  try {
    const chosen = selectedUnits(opened.info, o, opened.unit);
    const root = (o.path ?? '').split('/').filter((p) => p !== '' && p !== '.').join('/');
    let found = root === '';
    for await (const a of opened.archives((x) => chosen.has(x.unit), o)) {
      for await (const m of a.members(o)) {
        const path = m.path.slice(m.path.startsWith(a.prefix) ? a.prefix.length : 0).split('/').filter((p) => p !== '' && p !== '.').join('/');
        if (path === root) found = true;
        const inside = root === '' || path.startsWith(`${root}/`);
        const show = path === root ? m.type !== 'dir' : inside && (o.recursive || !path.slice(root.length).replace(/^\//, '').includes('/'));
        if (show) {
          yield { unit: a.unit, path, type: m.type, size: m.size, mode: m.mode, mtime: m.mtime, ...(m.linkTarget !== undefined ? { linkTarget: m.linkTarget } : {}) };
        }
      }
    }
    if (!found) throw new UsageError(`no such path in the backup: '${o.path}'`);
  } finally {
    await close();
  }
}

export interface RestoreImageOptions extends BackupOptions, ReadOptions {
  /** The unit (VM) whose image to restore. */
  vm: string;
  /** Which volume: `private` (default) or `root`. */
  volume?: string;
  /** Folder to write `<vm>/<volume>.img` into (sparse). */
  workDir: string;
  onEvent?: (e: RestoreEvent) => void;
}

/**
 * Restores one disk image of a VM (sparse) and nothing else, e.g. to browse its files. Returns the
 * image's path. Throws UsageError when the backup holds no such image.
 */
export async function restoreImage(location: BackupOrLocation, o: RestoreImageOptions): Promise<string> {
  const { opened, close } = await opening(location, o);
  try {
    const volume = o.volume ?? 'private';
    const where = opened.image?.(o.vm, volume);
    if (!opened.image) throw new UsageError(`this ${opened.info.title} holds files, not VM disk images: list them without --vm`);
    if (!where) {
      const names = opened.info.units.filter((u) => u.present && opened.image?.(u.name, volume)).map((u) => u.name);
      throw new UsageError(`no ${opened.info.unitNoun} named '${o.vm}' with disk images in this backup (${opened.info.unitNoun}s: ${names.join(', ')})`);
    }
    const wantedName = `${volume}.img`;
    let found = false;
    const sink = directorySink(o.workDir);
    const filtered: Sink = {
      async member(m, target, opts) {
        if (!where.member(m)) return { member: m.path, type: m.type, size: m.size, skipped: 'not the requested image' };
        found = true;
        return sink.member(m, target, opts);
      },
      finish: () => sink.finish(),
    };
    await makeDirs(o.workDir);
    await runArchives(opened, filtered, { ...o, units: [o.vm], archives: (a) => where.archive(a) });
    if (!found) throw new UsageError(`VM '${o.vm}' has no ${wantedName} in this backup`);
    return join(o.workDir, opened.info.units.find((u) => u.name === o.vm)?.output ?? o.vm, wantedName);
  } finally {
    await close();
  }
}
