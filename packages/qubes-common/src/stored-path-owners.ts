import type { ByteSource, Registry } from '@qubes-backup/core';
import type { QubesBackupModel } from './model.js';

export interface Owner {
  /** VM name, `dom0` for dom0's home. */
  readonly vm: string;
  /** What inner member names start with: `vm5/`, `appvms/work/`, `dom0-home/`. */
  readonly prefix: string;
}

/** `dom0-home/<user>`: the one stored path of dom0's home (spec §2.3). */
const DOM0_HOME = /^dom0-home\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,254})$/;

/**
 * Which VM a stored path belongs to. VM files live under the VM's `backup_path` from qubes.xml
 * (`vm5`, `appvms/work`; allowlisted by the qubes.xml parser), templates as the directory archive
 * `<backup_path>/.`. dom0's home is `dom0-home/<user>` even when qubes.xml has no dom0 (R2).
 */
export function ownersOf(model: Pick<QubesBackupModel, 'vms'>): (path: string) => Owner | undefined {
  const table: { base: string; vm: string }[] = [];
  for (const vm of model.vms) {
    if (!vm.included || !vm.backupPath || vm.class === 'AdminVM') continue;
    table.push({ base: vm.backupPath.replace(/\/+$/, ''), vm: vm.name });
  }
  return (path) => {
    if (DOM0_HOME.test(path)) return { vm: 'dom0', prefix: 'dom0-home/' };
    for (const t of table) {
      if (path.startsWith(`${t.base}/`)) return { vm: t.vm, prefix: `${t.base}/` };
    }
    return undefined;
  };
}

/**
 * The dom0 user whose home the backup holds, found by listing the outer archive's names ahead
 * (R2 qubes.xml has no dom0 entry to say so). Only for a seekable source: large bodies are
 * seeked over, and the pass costs about one header read per member.
 */
export async function scanDom0Home(registry: Registry, source: ByteSource | undefined): Promise<string | undefined> {
  if (!source?.seekable) return undefined;
  const tar = registry.get('container', 'tar');
  for await (const m of tar.entries(source, { ignoreZeros: true })) {
    const stem = m.path.endsWith('.000') ? m.path.slice(0, -4) : undefined;
    const user = stem !== undefined ? DOM0_HOME.exec(stem)?.[1] : undefined;
    if (user !== undefined) return user;
  }
  return undefined;
}
