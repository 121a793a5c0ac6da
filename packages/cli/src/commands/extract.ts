import { resolve } from 'node:path';
import { extract, type RunReport } from '@qubes-backup/restore';
import { isQubesBackupError } from '@qubes-backup/core';
import { backupOptions, printJson, type CommonFlags } from './shared.js';
import { printReport, skippedError, warnUnauthenticated, type VerifyFlags } from './verify.js';

export interface ExtractFlags extends CommonFlags, VerifyFlags {
  dest: string;
  force?: boolean;
}

export async function extractCommand(backup: string, flags: ExtractFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  const outputs: string[] = [];
  let r: Awaited<ReturnType<typeof extract>>;
  try {
    r = await extract(backup, {
      ...options, dest: flags.dest, vms: flags.vm, exclude: flags.exclude, dom0Home: Boolean(flags.dom0Home),
      force: Boolean(flags.force), keepGoing: Boolean(flags.keepGoing),
      onEvent: (e) => {
        if (e.type === 'opened') warnUnauthenticated(e.model);
        if (e.type === 'archive') progress.note(`${e.vm}: ${e.path}`);
        if (e.type === 'member' && e.result.output && e.result.type === 'file') outputs.push(e.result.output);
      },
    });
  } catch (e) {
    progress.stop();
    const report = isQubesBackupError(e) ? (e as { report?: RunReport }).report : undefined;
    if (flags.json) {
      const err = e as { code?: string; message?: string; member?: string };
      printJson({ ok: false, error: { code: err.code, message: err.message, member: err.member }, vms: report?.vms ?? [] });
    }
    throw e;
  }
  progress.stop();
  if (flags.json) {
    printJson({ ok: r.ok, dest: resolve(flags.dest), version: r.model.version, vms: r.vms, files: outputs });
  } else {
    printReport(r);
    const images = outputs.filter((p) => p.endsWith('.img'));
    process.stdout.write(`Restored ${outputs.length} files into ${resolve(flags.dest)}${images.length ? '; disk images:' : ''}\n`);
    for (const p of images) process.stdout.write(`  ${resolve(flags.dest, p)}\n`);
  }
  if (!r.ok) throw skippedError(r);
}
