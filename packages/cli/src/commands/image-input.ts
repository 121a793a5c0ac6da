import { mkdtempSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreImage } from '@qubes-backup/restore';
import { UsageError } from '@qubes-backup/core';
import { backupOptions, type CommonFlags } from './shared.js';
import { fmtBytes } from '../progress.js';

export interface ImageFlags extends CommonFlags {
  vm?: string;
  volume?: 'private' | 'root';
  workDir?: string;
  keepImage?: boolean;
}

/** A disk image to open, and how to clean up after. */
export interface ImageInput {
  path: string;
  cleanup(): Promise<void>;
}

/**
 * IMAGE_OR_BACKUP: a disk image is used as it is; a backup first has the VM's image restored
 * (sparse) into a work folder, which is removed at the end unless --keep-image.
 */
export async function imageInput(input: string, flags: ImageFlags): Promise<ImageInput> {
  if (input !== '-' && !(await looksLikeTar(input))) {
    if (flags.vm) throw new UsageError(`'${input}' is a disk image, not a backup: --vm applies to backups only`);
    return { path: input, cleanup: async () => undefined };
  }
  if (!flags.vm) throw new UsageError('the input is a backup: name the VM whose image to open with --vm NAME');
  const { options, progress } = await backupOptions(input, flags);
  const workBase = flags.workDir ?? tmpdir();
  await fsp.mkdir(workBase, { recursive: true });
  const work = mkdtempSync(join(workBase, 'qubes-backup-image-'));
  const cleanup = async () => { if (!flags.keepImage) await fsp.rm(work, { recursive: true, force: true }); };
  try {
    const path = await restoreImage(input, {
      ...options, vm: flags.vm, volume: flags.volume ?? 'private', workDir: work,
      onEvent: (e) => {
        if (e.type === 'member-start' && e.member.endsWith('.img')) {
          progress.stop();
          process.stderr.write(`Restoring ${flags.vm}'s ${flags.volume ?? 'private'}.img (${fmtBytes(e.size)} apparent; ` +
            `disk use is only its data, the image is sparse) into ${work}\n`);
        }
      },
    });
    progress.stop();
    if (flags.keepImage) process.stderr.write(`Image kept at ${path}\n`);
    return { path, cleanup };
  } catch (e) {
    progress.stop();
    await cleanup();
    throw e;
  }
}

/** Backups are tar archives (ustar magic at 257); disk images are not. */
async function looksLikeTar(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await fsp.open(path, 'r');
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    return bytesRead === 512 && b.subarray(257, 262).toString('latin1') === 'ustar';
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}
