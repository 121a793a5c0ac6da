import { relative, resolve } from 'node:path';
import { formatBytes } from '@qubes-backup/core';
import { extract, makeDirs, planRestore, reportOf, type RunReport } from '@qubes-backup/restore';
import { backupOptions, printReport, table } from './shared.js';
import { errorJson, printJson } from '../json-answer.js';
import { selection, skippedError, stopped, warnUnauthenticated, type VerifyFlags } from './verify.js';

export interface ExtractFlags extends VerifyFlags {
  dest: string;
  force?: boolean;
  resume?: boolean;
  /** `--no-space-check` sets it false. */
  spaceCheck: boolean;
  dryRun?: boolean;
}

export async function extractCommand(backup: string, flags: ExtractFlags): Promise<void> {
  if (flags.dryRun) return dryRun(backup, flags);
  // Before the passphrase is asked and a key derived: a destination that cannot be made fails first.
  await makeDirs(flags.dest);
  const { options, progress } = await backupOptions(backup, flags);
  const outputs: string[] = [];
  /** Files a previous run completed (`--resume`). */
  const kept: string[] = [];
  const done: string[] = [];
  let noun = 'VM';
  // Killed before the work stopped (a key derivation runs on): say what is complete all the same.
  flags.interruption.summary = () => `${completed(done, noun)}; ${resumeHint()}`;
  let r: Awaited<ReturnType<typeof extract>>;
  try {
    r = await extract(backup, {
      ...options, ...selection(flags), dest: flags.dest, force: Boolean(flags.force), keepGoing: Boolean(flags.keepGoing),
      resume: Boolean(flags.resume), spaceCheck: flags.spaceCheck,
      onEvent: (e) => {
        if (e.type === 'opened') { noun = e.info.unitNoun; warnUnauthenticated(e.info); }
        if (e.type === 'archive') progress.note(`${e.unit}: ${e.path}`);
        if (e.type === 'member' && e.result.output && e.result.type === 'file') (e.result.kept ? kept : outputs).push(e.result.output);
        if (e.type === 'unit-done') done.push(e.unit);
      },
    });
  } catch (e) {
    stopped(e, progress, flags.json, noun);
    if (flags.interruption.signal.aborted || (isMachineFault(e) && reportOf(e))) process.stderr.write(`${stoppedHint(reportOf(e), noun)}\n`);
    throw e;
  }
  progress.stop();
  const failure = r.ok ? undefined : skippedError(r, noun);
  if (flags.json) {
    printJson(r.ok, {
      format: r.info.format, ...(failure ? { error: errorJson(failure) } : {}), dest: resolve(flags.dest), units: r.units, files: outputs,
      ...(flags.resume ? { kept } : {}),
    });
  } else {
    printReport(r, noun);
    const images = outputs.filter((p) => p.endsWith('.img'));
    const before = kept.length ? ` (${kept.length} more complete from before, kept)` : '';
    process.stdout.write(`Restored ${outputs.length} files${before} into ${resolve(flags.dest)}${images.length ? '; disk images:' : ''}\n`);
    for (const p of images) process.stdout.write(`  ${resolve(flags.dest, p)}\n`);
  }
  if (failure) throw failure;
}

/** `--dry-run`: what would be written where, and the space it needs; nothing is written. */
async function dryRun(backup: string, flags: ExtractFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  let plan;
  try {
    plan = await planRestore(backup, { ...options, ...selection(flags), dest: flags.dest, resume: Boolean(flags.resume) });
  } finally {
    progress.stop();
  }
  if (flags.json) {
    return printJson(true, {
      dryRun: true, format: plan.info.format, dest: plan.dest,
      units: plan.units.map((u) => ({ ...u, output: relative(plan.dest, u.output) })), needed: plan.needed,
      free: Number.isFinite(plan.free) ? plan.free : null, enoughSpace: plan.needed <= plan.free,
    });
  }
  const rows = [[plan.info.unitNoun.toUpperCase(), 'INTO', 'SIZE', '']];
  for (const u of plan.units) rows.push([u.name, u.output, u.size === undefined ? '?' : formatBytes(u.size), u.kept ? 'complete already (kept)' : '']);
  process.stdout.write(table(rows));
  const unknown = plan.unknownSizes ? ` (and ${plan.unknownSizes} of unknown size)` : '';
  process.stdout.write(`Would write about ${formatBytes(plan.needed)}${unknown} into ${plan.dest}; ` +
    `${Number.isFinite(plan.free) ? formatBytes(plan.free) : 'unknown'} free there.${plan.needed > plan.free ? ' NOT ENOUGH SPACE.' : ''}\n`);
}

function isMachineFault(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'E_IO' || code === 'E_DISK_FULL';
}

/** After an interruption or a fault of this machine: what is complete, and how to go on. */
function stoppedHint(report: RunReport | undefined, noun: string): string {
  const done = report?.units.filter((u) => u.status === 'ok').map((u) => u.name) ?? [];
  return `qubes-backup: ${completed(done, noun)}; ${resumeHint()}`;
}

function completed(names: readonly string[], noun: string): string {
  return names.length ? `complete: ${names.join(', ')} (kept)` : `no ${noun} complete yet`;
}

/** The command as typed, with --resume: files already complete are kept, the rest restored. */
function resumeHint(): string {
  const args = process.argv.slice(2).filter((a) => a !== '--resume' && a !== '--force');
  return `to go on, run: qubes-backup ${args.map(quote).join(' ')} --resume`;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
