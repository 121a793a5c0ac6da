import { resolve } from 'node:path';
import { copyOut, openImage } from '@qubes-backup/image-ext4';
import { imageInput, type ImageFlags } from './image-input.js';
import { printJson } from './shared.js';
import { fmtBytes } from '../progress.js';

export interface GetFlags extends ImageFlags {
  dest: string;
  force?: boolean;
}

/** Copies files or directories out of a VM disk image, keeping their path from the filesystem root. */
export async function getCommand(input: string, paths: string[], flags: GetFlags): Promise<void> {
  const img = await imageInput(input, flags);
  try {
    const image = await openImage(img.path);
    try {
      const copied: string[] = [];
      const summary = await copyOut(image, paths, flags.dest, {
        force: Boolean(flags.force),
        onFile: (f) => { if (!f.skipped) copied.push(f.dest); },
      });
      if (flags.json) return printJson({ ok: true, dest: resolve(flags.dest), ...summary, files: copied });
      process.stdout.write(`Copied ${summary.files} files, ${summary.dirs} directories, ${summary.symlinks} symlinks ` +
        `(${fmtBytes(summary.bytes)}) into ${resolve(flags.dest)}${summary.skipped ? `; skipped ${summary.skipped} special files` : ''}\n`);
    } finally {
      await image.close();
    }
  } finally {
    await img.cleanup();
  }
}
