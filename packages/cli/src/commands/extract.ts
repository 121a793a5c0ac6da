import { resolve } from 'node:path';
import { extract, makeDirs } from '@qubes-backup/restore';
import { backupOptions, printJson, printReport } from './shared.js';
import { selection, skippedError, stopped, warnUnauthenticated, type VerifyFlags } from './verify.js';

export interface ExtractFlags extends VerifyFlags {
  dest: string;
  force?: boolean;
}

export async function extractCommand(backup: string, flags: ExtractFlags): Promise<void> {
  // Before the passphrase is asked and a key derived: a destination that cannot be made fails first.
  await makeDirs(flags.dest);
  const { options, progress } = await backupOptions(backup, flags);
  const outputs: string[] = [];
  let noun = 'VM';
  let r: Awaited<ReturnType<typeof extract>>;
  try {
    r = await extract(backup, {
      ...options, ...selection(flags), dest: flags.dest, force: Boolean(flags.force), keepGoing: Boolean(flags.keepGoing),
      onEvent: (e) => {
        if (e.type === 'opened') { noun = e.info.unitNoun; warnUnauthenticated(e.info); }
        if (e.type === 'archive') progress.note(`${e.unit}: ${e.path}`);
        if (e.type === 'member' && e.result.output && e.result.type === 'file') outputs.push(e.result.output);
      },
    });
  } catch (e) {
    throw stopped(e, progress, flags.json, noun);
  }
  progress.stop();
  if (flags.json) {
    printJson({ ok: r.ok, format: r.info.format, dest: resolve(flags.dest), units: r.units, files: outputs });
  } else {
    printReport(r, noun);
    const images = outputs.filter((p) => p.endsWith('.img'));
    process.stdout.write(`Restored ${outputs.length} files into ${resolve(flags.dest)}${images.length ? '; disk images:' : ''}\n`);
    for (const p of images) process.stdout.write(`  ${resolve(flags.dest, p)}\n`);
  }
  if (!r.ok) throw skippedError(r, noun);
}
