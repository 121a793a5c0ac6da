// What an extract will write, and whether the destination can hold it: read before the first byte
// is written, so a restore that cannot fit fails at once instead of hours later with a disk full.
import { promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IoError, formatBytes, type UnitInfo } from '@qubes-backup/core';
import type { Opened } from './open.js';
import { selectedUnits, type Selection } from './run.js';
import { metadataText } from './sink.js';

/** One unit an extract would write. */
export interface PlannedUnit {
  readonly name: string;
  /** Its output folder (absolute). */
  readonly output: string;
  /** Bytes of data it holds, when the backup says: about what it takes on disk (images are sparse). */
  readonly size?: number;
  /** Restored completely by an earlier run (`resume`): kept, nothing written. */
  readonly kept?: true;
}

/** What `extract` would write where, and the space for it. */
export interface ExtractPlan {
  readonly dest: string;
  readonly units: readonly PlannedUnit[];
  /** Bytes the units still to restore hold (those with a known size). */
  readonly needed: number;
  /** Units whose size the backup does not say: `needed` leaves them out. */
  readonly unknownSizes: number;
  /** Bytes free for this user on the destination's file system. */
  readonly free: number;
}

/** The plan for restoring `sel` of an opened backup into `dest` (which need not exist yet). */
export async function planExtract(opened: Opened, dest: string, sel: Selection & { resume?: boolean }): Promise<ExtractPlan> {
  const chosen = selectedUnits(opened.info, sel, opened.unit);
  const units: PlannedUnit[] = [];
  let needed = 0;
  let unknownSizes = 0;
  for (const u of opened.info.units) {
    if (!chosen.has(u.name)) continue;
    const output = resolve(dest, u.name === opened.unit ? '' : u.output);
    const kept = sel.resume === true && await restoredBefore(u, output);
    units.push({ name: u.name, output, ...(u.size !== undefined ? { size: u.size } : {}), ...(kept ? { kept: true as const } : {}) });
    if (kept) continue;
    if (u.size === undefined) unknownSizes++; else needed += u.size;
  }
  return { dest: resolve(dest), units, needed, unknownSizes, free: await freeSpace(dest) };
}

/** The error when the destination cannot hold what the plan still has to write (exit 4), or undefined. */
export function spaceShortage(plan: ExtractPlan): IoError | undefined {
  if (plan.needed <= plan.free) return undefined;
  return new IoError(`needs about ${formatBytes(plan.needed)} on '${plan.dest}', ${formatBytes(plan.free)} free ` +
    '(free some space, choose another --dest, or use --no-space-check to try anyway)', {}, 'E_DISK_FULL');
}

/**
 * A unit a previous run restored completely: its metadata file is written last, once every archive
 * was read and every file renamed, so its presence with the same content says the unit is done.
 */
export async function restoredBefore(u: UnitInfo, output: string): Promise<boolean> {
  if (!u.metadata) return false;
  const text = await fsp.readFile(join(output, u.metadata.file), 'utf8').catch(() => undefined);
  return text === metadataText(u.metadata.json);
}

/** Free bytes for this user where `path` is or would be made (its nearest existing folder). */
async function freeSpace(path: string): Promise<number> {
  for (let cur = resolve(path); ; cur = dirname(cur)) {
    const st = await fsp.statfs(cur).catch(() => undefined);
    if (st) return st.bavail * st.bsize;
    if (dirname(cur) === cur) return Number.POSITIVE_INFINITY;
  }
}
