import { verify, reportOf } from '@qubes-backup/restore';
import { CorruptBackupError, type BackupInfo } from '@qubes-backup/core';
import type { RunReport } from '@qubes-backup/restore';
import { backupOptions, printReport, type CommonFlags } from './shared.js';
import { answerFailure, printJson, errorJson } from '../json-answer.js';

export interface VerifyFlags extends CommonFlags {
  keepGoing?: boolean;
  vm: string[];
  exclude: string[];
  dom0Home?: boolean;
}

/** `--vm`, `--exclude` and `--dom0-home` (dom0's home is the unit `dom0` of a Qubes backup). */
export function selection(flags: VerifyFlags): { units?: string[]; exclude: string[] } {
  const units = flags.vm.length ? [...flags.vm, ...(flags.dom0Home ? ['dom0'] : [])] : undefined;
  return { ...(units ? { units } : {}), exclude: flags.exclude };
}

export async function verifyCommand(backup: string, flags: VerifyFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  let noun = 'VM';
  let r: Awaited<ReturnType<typeof verify>>;
  try {
    r = await verify(backup, {
      ...options, ...selection(flags), keepGoing: Boolean(flags.keepGoing),
      onEvent: (e) => { if (e.type === 'opened') { noun = e.info.unitNoun; warnUnauthenticated(e.info); } },
    });
  } catch (e) {
    throw stopped(e, progress, flags.json, noun);
  }
  progress.stop();
  const failure = r.ok ? undefined : skippedError(r, noun);
  if (flags.json) printJson(r.ok, { format: r.info.format, ...(failure ? { error: errorJson(failure) } : {}), units: r.units });
  else printReport(r, noun);
  if (failure) throw failure;
  if (!flags.json) process.stdout.write('All selected members verified.\n');
}

/** A run an error stopped: the summary of what completed, failed or was not reached is printed before the error. */
export function stopped(e: unknown, progress: { stop(): void }, json: boolean | undefined, noun: string): unknown {
  progress.stop();
  const report = reportOf(e);
  if (json) answerFailure(e, { units: report?.units ?? [] });
  else if (report) printReport(report, noun);
  return e;
}

/** With --keep-going: some units failed; exit 3 after the summary table. */
export function skippedError(r: RunReport, noun: string): CorruptBackupError {
  const bad = r.units.filter((v) => v.status !== 'ok');
  return new CorruptBackupError(`${bad.length} of ${r.units.length} ${noun}s failed (${bad.map((v) => `${v.name}: ${v.failingMember ?? v.error ?? v.status}`).join('; ')})`);
}

/** Format 1 has no MAC at all: say so loudly, every time. */
export function warnUnauthenticated(info: BackupInfo): void {
  if (!info.authenticated) {
    process.stderr.write(`WARNING: UNAUTHENTICATED backup (${info.title}): it has no integrity protection; ` +
      'nothing read from it can be verified\n');
  }
}
