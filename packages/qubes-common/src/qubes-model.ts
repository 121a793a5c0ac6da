import { CorruptBackupError, formatBytes, type Archive, type BackupInfo, type Member, type OpenedBackup } from '@qubes-backup/core';

type UnitInfo = BackupInfo['units'][number];
type UnitSeen = Parameters<NonNullable<OpenedBackup['missing']>>[1];
import { netvmText, type Dom0HomeInfo, type QubesBackupModel, type VmInfo } from './model.js';
import { missingVolume, surveyMembers } from './survey.js';

/** What a Qubes format reads from its header; `qubesModel` adds qubes.xml's VMs and the generic `BackupInfo` fields. */
export type QubesHeaderParts = Pick<QubesBackupModel, 'version' | 'header' | 'encrypted' | 'compressed' | 'compressionFilter' | 'authenticated'>;

/** qubes.xml as parsed (`@qubes-backup/qubes-xml`), and dom0's home when the backup's names tell it instead. */
export interface QubesXmlParts {
  readonly vms: readonly VmInfo[];
  readonly dom0Home?: Dom0HomeInfo | undefined;
  readonly globals: Readonly<Record<string, string | null>>;
}

/**
 * The model of a Qubes backup: every VM qubes.xml lists is a unit (restored into `<dest>/<vm>/`,
 * with its settings as `vm.json`), and dom0's home is the unit `dom0` (into `<dest>/dom0-home/`).
 */
export function qubesModel(format: string, header: QubesHeaderParts, xml: QubesXmlParts): QubesBackupModel {
  const { compressionFilter, ...rest } = header;
  const parts = {
    ...rest, ...(compressionFilter !== undefined ? { compressionFilter } : {}),
    vms: xml.vms, ...(xml.dom0Home ? { dom0Home: xml.dom0Home } : {}), globals: xml.globals,
  };
  const units: UnitInfo[] = [];
  for (const vm of parts.vms) {
    if (vm.class === 'AdminVM') continue;
    units.push({
      name: vm.name, output: vm.name,
      // VMs Qubes synthesizes while reading an old qubes.xml (disp-<netvm>) are "included" without data.
      present: vm.included && vm.backupPath !== undefined,
      ...(vm.backupSize !== undefined ? { size: vm.backupSize } : {}),
      metadata: { file: 'vm.json', json: vm },
    });
  }
  if (parts.dom0Home) {
    units.push({ name: 'dom0', output: 'dom0-home', present: true, ...(parts.dom0Home.backupSize !== undefined ? { size: parts.dom0Home.backupSize } : {}) });
  }
  return { format, title: `Qubes backup format ${parts.version}`, unitNoun: 'VM', units, ...parts };
}

/** An opened Qubes backup: its model, how it is shown, its archives, and the Qubes rules for missing data and images. */
export function qubesOpened(model: QubesBackupModel, archives: OpenedBackup['archives']): OpenedBackup {
  return {
    info: model,
    display: qubesDisplay(model),
    archives,
    missing: (unit, seen) => missingData(model, unit, seen),
    image: (unit, volume) => imageLocation(model, unit, volume),
    survey: async (opts) => {
      const surveyed = await surveyMembers(model, archives, opts);
      return { info: surveyed, display: qubesDisplay(surveyed) };
    },
  };
}

/** `info` for people: the header, then one row per VM. */
export function qubesDisplay(model: QubesBackupModel): OpenedBackup['display'] {
  const fields: [string, string][] = [
    ['Format', `${model.version}${model.authenticated ? '' : '  (UNAUTHENTICATED: format 1 has no integrity protection)'}`],
    ['Encrypted', model.encrypted ? 'yes' : 'no'],
    ['Compressed', model.compressed ? `yes (${model.compressionFilter ?? 'gzip'})` : 'no'],
    ...Object.entries(model.header).map(([k, v]) => [`  ${k}`, v] as [string, string]),
  ];
  const rows = model.vms.filter((vm) => vm.class !== 'AdminVM').map((vm) => {
    const unit = model.units.find((u) => u.name === vm.name);
    const present = unit?.present ?? false;
    return [
      vm.name, vm.class, vm.template ?? '-', netvmText(vm.netvm),
      vm.label ?? '-', present && vm.backupSize !== undefined ? formatBytes(vm.backupSize) : '-', inBackup(unit),
    ];
  });
  if (model.dom0Home) {
    const lacking = model.units.find((u) => u.name === 'dom0')?.lacking;
    fields.push(['dom0 home', `${model.dom0Home.user} (${model.dom0Home.backupSize !== undefined ? formatBytes(model.dom0Home.backupSize) : 'size unknown'})` +
      (lacking ? ': NOT in the backup (missing)' : '')]);
  }
  if (model.survey?.problem !== undefined) fields.push(['WARNING', `the backup ends early or is damaged; members after that point are missing: ${model.survey.problem}`]);
  return { fields, tables: [{ columns: ['NAME', 'CLASS', 'TEMPLATE', 'NETVM', 'LABEL', 'SIZE', 'IN BACKUP'], rows }] };
}

/** The IN BACKUP column: from qubes.xml, or from the members found when a survey ran. */
function inBackup(unit: UnitInfo | undefined): string {
  if (!unit?.present) return unit?.lacking ? 'NO (missing)' : 'no';
  return unit.lacking ? `partly: no ${unit.lacking}` : 'yes';
}

/** Classes (as mapped) whose R2/R3 VMs are updateable: stored with their root.img. */
const UPDATEABLE = ['TemplateVM', 'StandaloneVM'];

/** Classes of R2/R3 qubes.xml whose VMs always have a private.img. */
const CORE2_WITH_PRIVATE = ['QubesAppVm', 'QubesHVm', 'QubesNetVm', 'QubesProxyVm', 'QubesTemplateVm', 'QubesTemplateHVm'];

/**
 * What a VM must have but the backup did not hold: its data at all, or one of its images. No MAC
 * covers the list of stored files, so this is how a dropped one is noticed: format 4 stores every volume qubes.xml marks `save_on_stop` as
 * `<volume>.img`; formats 2-3 always store a private.img for the classes above, and a root.img for templates and standalone VMs.
 */
export function missingData(model: QubesBackupModel, unit: string, seen: UnitSeen): Error | undefined {
  if (seen.archives.size === 0) {
    const path = unit === 'dom0' ? model.dom0Home?.backupPath : model.vms.find((v) => v.name === unit)?.backupPath;
    return new CorruptBackupError(
      `no data for ${unit === 'dom0' ? "dom0's home" : `VM '${unit}'`} in the backup although qubes.xml lists it (missing or truncated backup)`,
      { member: path ?? unit });
  }
  const vm = model.vms.find((v) => v.name === unit);
  if (!vm || vm.class === 'AdminVM') return undefined;
  const base = (vm.backupPath ?? '').replace(/\/+$/, '');
  let missing = missingVolume(model, unit, seen.archives);
  if ((model.version === 2 || model.version === 3) && CORE2_WITH_PRIVATE.includes(vm.sourceClass ?? '') && !seen.files.has('private.img')) {
    missing = 'private.img';
  }
  // An updateable VM (a template, a standalone one) is stored as its whole folder, root.img with it
  // (qvm-backup R2/R3: `if vm.is_updateable(): file_to_backup(vm.dir_path)`).
  if ((model.version === 2 || model.version === 3) && UPDATEABLE.includes(vm.class) && missing === undefined && !seen.files.has('root.img')) {
    missing = 'root.img';
  }
  return missing === undefined ? undefined
    : new CorruptBackupError(`VM '${unit}' has no ${missing} in the backup although qubes.xml says it was backed up (a stored file was dropped)`,
      { member: `${base}/${missing}` });
}

/**
 * Where a VM's disk image is: format 4 stores each image as its own file (`vm5/private.img`);
 * formats 1–3 store AppVM images as files too and templates as part of the whole folder (`vm9/.`).
 */
export function imageLocation(model: QubesBackupModel, unit: string, volume: string): { archive(a: Pick<Archive, 'unit' | 'path'>): boolean; member(m: Member): boolean } | undefined {
  const vm: VmInfo | undefined = model.vms.find((v) => v.name === unit);
  const base = vm?.backupPath?.replace(/\/+$/, '');
  if (!vm || !base || !vm.included || vm.class === 'AdminVM') return undefined;
  const wanted = `${volume}.img`;
  return {
    archive: (a) => a.unit === unit && (a.path === `${base}/${wanted}` || a.path === `${base}/.` || a.path === base),
    member: (m) => m.type === 'file' && m.path.replace(/\/+$/, '').split('/').pop() === wanted,
  };
}

/** dom0's home as found by scanning a backup's stored names (R2/R3 qubes.xml may not say). */
export function dom0HomeOf(user: string | undefined): Dom0HomeInfo | undefined {
  return user === undefined ? undefined : { user, backupPath: `dom0-home/${user}` };
}
