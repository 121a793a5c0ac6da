import { createHash } from 'node:crypto';
import { promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identify, makeDirs, openBackup, restoreImage, type Opened } from '@qubes-backup/restore';
import { formatBytes, IoError, UsageError } from '@qubes-backup/core';
import { backupOptions, type CommonFlags } from './shared.js';

export interface ImageFlags extends CommonFlags {
  vm?: string;
  volume?: 'private' | 'root';
  workDir?: string;
  keepImage?: boolean;
}

/** What `files` and `get` look into: a disk image file, or an opened backup of file trees (a Borg archive). */
export type Browsable =
  | { kind: 'image'; path: string; cleanup(): Promise<void> }
  | { kind: 'tree'; opened: Opened; cleanup(): Promise<void> };

/**
 * IMAGE_OR_BACKUP: a file no format recognizes is a disk image, used as it is. A backup of VM disk
 * images first has the VM's image restored (sparse) into a work folder, removed at the end; with
 * --keep-image it is kept in a folder named after the backup and the VM, and a later call with
 * --keep-image (and the same --work-dir) opens it at once, without the backup or its passphrase.
 * Kept only when asked: the image is the VM's data decrypted. A backup of file trees
 * (REPO::ARCHIVE) is browsed directly.
 */
export async function browsable(input: string, flags: ImageFlags): Promise<Browsable> {
  const registry = flags.registry();
  // Only a regular file can be a disk image: anything else (`-`, a named pipe) is read once, so it
  // is not probed here but opened as the backup it must be.
  if (await isFile(input) && (await identify(input, registry, flags.settings).catch(() => undefined)) === undefined) {
    if (flags.vm) throw new UsageError(`'${input}' is a disk image, not a backup: --vm applies to backups only`);
    return { kind: 'image', path: input, cleanup: async () => undefined };
  }
  const keep = flags.keepImage && flags.vm && input !== '-' && await isFile(input) ? await keptPlace(input, flags) : undefined;
  if (keep?.image) {
    process.stderr.write(`Using the image kept at ${keep.image}\n`);
    return { kind: 'image', path: keep.image, cleanup: async () => undefined };
  }
  const { options, progress } = await backupOptions(input, { ...flags, registry: () => registry });
  let opened: Opened;
  try { opened = await openBackup(input, options); } finally { progress.stop(); }
  if (!opened.image) {
    if (flags.vm) throw new UsageError(`this ${opened.info.title} holds file trees, not VM disk images: name an archive as REPO::ARCHIVE, not --vm`);
    return { kind: 'tree', opened, cleanup: async () => { await opened.close?.(); } };
  }
  if (!flags.vm) throw new UsageError(`the input is a backup: name the ${opened.info.unitNoun} whose image to open with --vm NAME`);
  const work = keep ? await keptFolder(keep) : await workFolder(flags.workDir ?? tmpdir());
  // Ctrl-C while the image is restored (or, unless kept, read): the folder goes even when the process cannot wait.
  const removeNow = () => rmSync(work, { recursive: true, force: true });
  flags.interruption.atQuit.add(removeNow);
  const cleanup = async () => {
    flags.interruption.atQuit.delete(removeNow);
    if (!flags.keepImage) await fsp.rm(work, { recursive: true, force: true });
  };
  try {
    const path = await restoreImage(opened, {
      ...options, vm: flags.vm, volume: flags.volume ?? 'private', workDir: work,
      onEvent: (e) => {
        if (e.type === 'member-start' && e.member.endsWith('.img')) {
          progress.stop();
          process.stderr.write(`Restoring ${flags.vm}'s ${flags.volume ?? 'private'}.img (${formatBytes(e.size)} apparent; ` +
            `disk use is only its data, the image is sparse) into ${work}\n`);
        }
      },
    });
    progress.stop();
    if (flags.keepImage) {
      // Complete now: an interruption from here on leaves it for the next call.
      flags.interruption.atQuit.delete(removeNow);
      process.stderr.write(`Image kept at ${path} (the VM's data, decrypted: remove it when done)\n`);
    }
    return { kind: 'image', path, cleanup };
  } catch (e) {
    progress.stop();
    // An image not restored completely is not kept.
    flags.interruption.atQuit.delete(removeNow);
    await fsp.rm(work, { recursive: true, force: true });
    throw e;
  }
}

/** A new folder for the restored image inside `base` (created if missing); failures name the folder. */
async function workFolder(base: string): Promise<string> {
  await makeDirs(base);
  const template = join(base, 'qubes-backup-image-');
  try {
    return await fsp.mkdtemp(template);
  } catch (e) {
    throw new IoError(`cannot create a work folder in '${base}': ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Where --keep-image keeps a backup's VM image: a folder in the work folder named by a hash of the
 * backup file (its real path, size and modification time) with the VM and volume, so a changed or
 * another backup never reuses it; and the image there, if a run completed it (a restore writes
 * `.partial` and renames the image only once every byte of it was authenticated and written).
 */
async function keptPlace(input: string, flags: ImageFlags): Promise<{ folder: string; image?: string }> {
  const st = await fsp.stat(input);
  const id = createHash('sha256')
    .update(JSON.stringify([await fsp.realpath(input), st.size, st.mtimeMs, flags.vm, flags.volume ?? 'private']))
    .digest('hex').slice(0, 16);
  const folder = join(flags.workDir ?? tmpdir(), `qubes-backup-kept-${id}`);
  const name = `${flags.volume ?? 'private'}.img`;
  const outputs = await fsp.readdir(folder).catch(() => [] as string[]);
  for (const output of outputs) {
    const image = join(folder, output, name);
    if (await isFile(image)) return { folder, image };
  }
  return { folder };
}

/** The kept image's folder, made readable by its owner only (it will hold the VM's data decrypted). */
async function keptFolder({ folder }: { folder: string }): Promise<string> {
  await makeDirs(join(folder, '..'));
  try {
    await fsp.mkdir(folder, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new IoError(`cannot create the folder '${folder}': ${(e as Error).message}`, { cause: e });
  }
  return folder;
}

async function isFile(path: string): Promise<boolean> {
  return fsp.stat(path).then((s) => s.isFile(), () => false);
}
