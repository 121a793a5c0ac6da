import { relative, resolve } from 'node:path';
import { formatBytes } from '@qubes-backup/core';
import { copyOut, openImage } from '@qubes-backup/image-ext4';
import { extract, makeDirs } from '@qubes-backup/restore';
import { browsable, type ImageFlags } from './image-input.js';
import { printReport } from './shared.js';
import { printJson } from '../json-answer.js';

export interface GetFlags extends ImageFlags {
  dest: string;
  force?: boolean;
  resume?: boolean;
}

/** Copies files or directories out of a VM disk image, keeping their path from the filesystem root. */
export async function getCommand(input: string, paths: string[], flags: GetFlags): Promise<void> {
  // Before a VM's image is restored for it: a destination that cannot be made fails first.
  await makeDirs(flags.dest);
  const img = await browsable(input, flags);
  try {
    if (img.kind === 'tree') {
      // A repository archive: the chosen items are extracted as `extract` would, paths kept from the archive's root.
      const files: string[] = [];
      const r = await extract(img.opened, {
        registry: flags.registry(), dest: flags.dest, force: Boolean(flags.force), resume: Boolean(flags.resume), paths: paths.map((p) => p.replace(/^\/+/, '')),
        onEvent: (e) => { if (e.type === 'member' && e.result.output && e.result.type === 'file') files.push(e.result.output); },
      });
      if (flags.json) return printJson(r.ok, { dest: resolve(flags.dest), units: r.units, files });
      printReport(r, r.info.unitNoun);
      process.stdout.write(`Copied ${files.length} files into ${resolve(flags.dest)}\n`);
      return;
    }
    const image = await openImage(img.path);
    try {
      const copied: string[] = [];
      const summary = await copyOut(image, paths, flags.dest, {
        force: Boolean(flags.force), resume: Boolean(flags.resume), signal: flags.interruption.signal,
        onFile: (f) => { if (!f.skipped && !f.kept) copied.push(f.dest); },
      });
      if (flags.json) return printJson(true, { dest: resolve(flags.dest), files: copied.map((f) => relative(resolve(flags.dest), f)), copied: summary });
      process.stdout.write(`Copied ${summary.files} files, ${summary.dirs} directories, ${summary.symlinks} symlinks ` +
        `(${formatBytes(summary.bytes)}) into ${resolve(flags.dest)}${summary.skipped ? `; skipped ${summary.skipped} special files` : ''}\n`);
    } finally {
      await image.close();
    }
  } finally {
    await img.cleanup();
  }
}
