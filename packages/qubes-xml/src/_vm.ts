import type { Dom0HomeInfo, NetVm, VmInfo, VolumeInfo } from '@qubes-backup/qubes-common';
import { CorruptBackupError, UnsafePathError } from '@qubes-backup/core';
import { checkBackupPath } from './backup-path.js';
import { hasOwn } from './_record.js';
import { MEMBER } from './_xml-tree.js';
import type { QubesDeviceInfo, QubesXml } from './model.js';

/** A VM while it is being read; `finish` checks it and freezes it into a VmInfo. */
export interface VmDraft {
  name: string;
  class: string;
  sourceClass?: string;
  qid?: number;
  label?: string;
  template?: string;
  included: boolean;
  backupPath?: string;
  backupSize?: number;
  properties: Record<string, string | null>;
  features: Record<string, string | boolean>;
  tags: string[];
  devices: QubesDeviceInfo[];
  volumes?: VolumeInfo[];
  /** Made up by the parser (R2's dom0, R3's DispVM templates): has no archive of its own. */
  synthesized?: boolean;
}

export function newDraft(name: string, klass: string): VmDraft {
  return { name, class: klass, included: false, properties: {}, features: {}, tags: [], devices: [] };
}

export function corrupt(message: string): CorruptBackupError {
  return new CorruptBackupError(message, { member: MEMBER });
}

/**
 * VM names become directory and file names on restore, so one that could be read as a path
 * is refused here, once for every consumer.
 */
export function checkVmName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(name)) {
    throw new UnsafePathError(`VM name ${JSON.stringify(name)} is not a safe name; refused`, { member: MEMBER });
  }
}

/** A decimal count of bytes or a qid: digits only, within the safe-integer range. */
export function parseCount(value: string, what: string, vmName: string): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw corrupt(`VM ${JSON.stringify(vmName)}: ${what} ${JSON.stringify(value)} is not a decimal number`);
  return n;
}

function finishVm(d: VmDraft): VmInfo {
  if (d.included && d.backupPath === undefined && d.synthesized !== true) {
    throw corrupt(`VM ${JSON.stringify(d.name)} is in the backup but has no backup path`);
  }
  if (d.included && d.backupPath !== undefined) {
    checkBackupPath(d.backupPath, d.name, d.class === 'AdminVM' ? 'dom0-home' : 'vm');
  }
  // dom0 has no netvm property at all: it reaches no network through a qube, so none rather than "default".
  const netvm: NetVm = d.class === 'AdminVM' ? null : hasOwn(d.properties, 'netvm') ? d.properties['netvm'] ?? null : { default: true };
  return {
    name: d.name,
    class: d.class,
    ...(d.sourceClass !== undefined && { sourceClass: d.sourceClass }),
    ...(d.qid !== undefined && { qid: d.qid }),
    ...(d.label !== undefined && { label: d.label }),
    ...(d.template !== undefined && { template: d.template }),
    netvm,
    included: d.included,
    ...(d.included && d.backupPath !== undefined && { backupPath: d.backupPath }),
    ...(d.included && d.backupSize !== undefined && { backupSize: d.backupSize }),
    properties: d.properties,
    features: d.features,
    tags: d.tags,
    devices: d.devices,
    ...(d.volumes !== undefined && { volumes: d.volumes }),
  };
}

/** Checks names are unique and paths allowed, and finds dom0's home archive. */
export function finish(dialect: QubesXml['dialect'], drafts: readonly VmDraft[], globals: Record<string, string | null>): QubesXml {
  const seen = new Set<string>();
  for (const d of drafts) {
    checkVmName(d.name);
    if (seen.has(d.name)) throw corrupt(`two VMs are named ${JSON.stringify(d.name)}`);
    seen.add(d.name);
  }
  const vms = drafts.map(finishVm);
  let dom0Home: Dom0HomeInfo | undefined;
  for (const vm of vms) {
    if (vm.class !== 'AdminVM' || !vm.included || vm.backupPath === undefined) continue;
    const user = checkBackupPath(vm.backupPath, vm.name, 'dom0-home') as string;
    dom0Home = { user, backupPath: vm.backupPath, ...(vm.backupSize !== undefined && { backupSize: vm.backupSize }) };
  }
  return { dialect, vms, ...(dom0Home !== undefined && { dom0Home }), globals };
}
