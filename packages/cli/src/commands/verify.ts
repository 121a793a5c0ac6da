import { verify, type RunReport } from '@qubes-backup/restore';
import { CorruptBackupError, isQubesBackupError, type BackupModel } from '@qubes-backup/core';
import { backupOptions, printJson, table, type CommonFlags } from './shared.js';
import { fmtBytes } from '../progress.js';

export interface VerifyFlags extends CommonFlags {
  keepGoing?: boolean;
  vm: string[];
  exclude: string[];
  dom0Home?: boolean;
}

export async function verifyCommand(backup: string, flags: VerifyFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  try {
    const r = await verify(backup, {
      ...options, vms: flags.vm, exclude: flags.exclude, dom0Home: Boolean(flags.dom0Home), keepGoing: Boolean(flags.keepGoing),
      onEvent: (e) => { if (e.type === 'opened') warnUnauthenticated(e.model); },
    });
    progress.stop();
    if (flags.json) printJson({ ok: r.ok, version: r.model.version, vms: r.vms });
    else printReport(r);
    if (!r.ok) throw skippedError(r);
    if (!flags.json) process.stdout.write('All selected members verified.\n');
  } catch (e) {
    progress.stop();
    const report = isQubesBackupError(e) ? (e as { report?: RunReport }).report : undefined;
    if (flags.json) printJson({ ok: false, error: { code: (e as { code?: string }).code, message: (e as Error).message, member: (e as { member?: string }).member }, vms: report?.vms ?? [] });
    else if (report) printReport(report);
    throw e;
  }
}

/** With --keep-going: some VMs failed; exit 3 after the summary table. */
export function skippedError(r: RunReport): CorruptBackupError {
  const bad = r.vms.filter((v) => v.status === 'failed');
  return new CorruptBackupError(`${bad.length} of ${r.vms.length} VMs failed (${bad.map((v) => `${v.name}: ${v.failingMember ?? v.error}`).join('; ')})`);
}

export function printReport(r: RunReport): void {
  const rows = [['VM', 'STATUS', 'FILES', 'BYTES', 'FAILING MEMBER']];
  for (const v of r.vms) rows.push([v.name, v.status, String(v.files), fmtBytes(v.bytes), v.failingMember ?? '']);
  process.stdout.write(table(rows));
}

/** Format 1 has no MAC at all: say so loudly, every time. */
export function warnUnauthenticated(model: BackupModel): void {
  if (!model.authenticated) {
    process.stderr.write(`WARNING: UNAUTHENTICATED backup (format ${model.version}): it has no integrity protection; ` +
      'nothing read from it can be verified\n');
  }
}
