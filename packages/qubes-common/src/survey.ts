import { isQubesBackupError, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import type { QubesBackupModel } from './model.js';

/**
 * What the backup's members actually hold, against what qubes.xml promised: one pass over the
 * outer archive's member names (the archives selector sees each one; none is decoded, so nothing
 * is decrypted and a seekable file is only seeked through). A VM none of whose members is there
 * is not present (`lacking: 'all its data'`); a format-4 VM without one of its images lacks that
 * image. A backup cut short or damaged ends the pass: what came before it counts, the VM it was in
 * lacks what follows the cut, and the reason is kept in `survey.problem`.
 */
export async function surveyMembers(model: QubesBackupModel, archives: OpenedBackup['archives'], opts?: ReadOptions): Promise<QubesBackupModel> {
  const seen = new Map<string, Set<string>>();
  let problem: string | undefined;
  let last: string | undefined;
  try {
    const record = (a: { unit: string; path: string }) => {
      last = a.unit;
      let paths = seen.get(a.unit);
      if (!paths) seen.set(a.unit, paths = new Set());
      paths.add(a.path);
      return false;
    };
    for await (const a of archives(record, opts)) void a;
  } catch (e) {
    if (!isQubesBackupError(e) || (e.code !== 'E_CORRUPT' && e.code !== 'E_UNSAFE_PATH')) throw e;
    problem = e.message;
  }
  const units = model.units.map((u) => {
    if (!u.present) return u;
    const stored = seen.get(u.name);
    if (!stored) return { ...u, present: false, lacking: 'all its data' };
    const volume = missingVolume(model, u.name, stored);
    if (volume !== undefined) return { ...u, lacking: volume };
    return problem !== undefined && u.name === last ? { ...u, lacking: 'members after the cut' } : u;
  });
  return { ...model, units, survey: problem === undefined ? {} : { problem } };
}

/**
 * Format 4 stores each volume qubes.xml saves on stop as its own file (`vm5/root.img`): the first of
 * them whose archive is not among `archives`, if any. Older formats keep images inside a VM's
 * archives, which only decoding shows.
 */
export function missingVolume(model: QubesBackupModel, unit: string, archives: ReadonlySet<string>): string | undefined {
  const vm = model.vms.find((v) => v.name === unit);
  if (model.version !== 4 || !vm || vm.class === 'AdminVM') return undefined;
  const base = (vm.backupPath ?? '').replace(/\/+$/, '');
  const missing = (vm.volumes ?? []).find((v) => v.saveOnStop && !archives.has(`${base}/${v.name}.img`));
  return missing === undefined ? undefined : `${missing.name}.img`;
}
