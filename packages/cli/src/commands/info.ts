import { inspect } from '@qubes-backup/restore';
import type { BackupModel } from '@qubes-backup/core';
import { backupOptions, printJson, table, type CommonFlags } from './shared.js';
import { fmtBytes } from '../progress.js';

export async function infoCommand(backup: string, flags: CommonFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  let model: BackupModel;
  try { model = await inspect(backup, options); } finally { progress.stop(); }
  if (flags.json) return printJson(model);
  const out = process.stdout;
  out.write(`Backup:      ${backup}\n`);
  out.write(`Format:      ${model.version}${model.authenticated ? '' : '  (UNAUTHENTICATED: format 1 has no integrity protection)'}\n`);
  out.write(`Encrypted:   ${model.encrypted ? 'yes' : 'no'}\n`);
  out.write(`Compressed:  ${model.compressed ? `yes (${model.compressionFilter ?? 'gzip'})` : 'no'}\n`);
  for (const [k, v] of Object.entries(model.header)) out.write(`  ${k}=${v}\n`);
  const rows = [['NAME', 'CLASS', 'TEMPLATE', 'NETVM', 'LABEL', 'SIZE', 'IN BACKUP']];
  for (const vm of model.vms) {
    if (vm.klass === 'AdminVM') continue;
    rows.push([
      vm.name, vm.klass, vm.template ?? '-', vm.netvm === undefined ? '(default)' : vm.netvm === null ? '(none)' : vm.netvm,
      vm.label ?? '-', vm.included && vm.backupSize !== undefined ? fmtBytes(vm.backupSize) : '-', vm.included ? 'yes' : 'no',
    ]);
  }
  out.write('\n' + table(rows));
  if (model.dom0Home) {
    out.write(`\ndom0 home:   ${model.dom0Home.user} (${model.dom0Home.backupSize !== undefined ? fmtBytes(model.dom0Home.backupSize) : 'size unknown'})\n`);
  }
}
