// Creating destination and work folders with bounded effort and one-line errors.
import { promises as fsp, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { IoError } from '@qubes-backup/core';

/**
 * Creates the folder `path` and its missing parents, one `mkdir` each and never again: Node's own
 * `mkdir -p` (`recursive: true`) retries forever where a parent exists but takes no new entries
 * (`/proc/x/y`: EEXIST for /proc, ENOENT for /proc/x, over and over). Failures are `IoError`s
 * naming the folder in the way and why: `E_EXISTS` when something that is not a folder is there.
 * `mode` is masked by the umask, as mkdir's is.
 */
export async function makeDirs(path: string, mode = 0o777): Promise<void> {
  const missing: string[] = [];
  for (let cur = path; ; cur = dirname(cur)) {
    const st = await statOrMissing(cur);
    if (st?.isDirectory()) break;
    if (st) throw new IoError(`'${cur}' exists and is not a folder`, {}, 'E_EXISTS');
    missing.unshift(cur);
    if (dirname(cur) === cur) break;
  }
  for (const dir of missing) {
    try {
      await fsp.mkdir(dir, { mode });
    } catch (e) {
      // Made meanwhile by someone else: fine, it is a folder.
      if (errnoOf(e) === 'EEXIST' && (await statOrMissing(dir))?.isDirectory()) continue;
      throw mkdirError(e, dir);
    }
  }
}

async function statOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(path);
  } catch (e) {
    // ENOTDIR: a parent is a file; the walk up finds it and names it.
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new IoError(`cannot look at '${path}': ${causeOf(e)}`, { cause: e });
  }
}

function mkdirError(e: unknown, dir: string): IoError {
  const code = errnoOf(e);
  // stat found nothing there, mkdir finds something: a symlink to nothing.
  if (code === 'EEXIST') return new IoError(`cannot create folder '${dir}': it is a symlink to nothing`, { cause: e }, 'E_EXISTS');
  if (code === 'ENOSPC' || code === 'EDQUOT') return new IoError(`disk full while creating folder '${dir}'`, { cause: e }, 'E_DISK_FULL');
  // The parent exists (found or just made), yet takes no new folder: /proc, /sys.
  const why = code === 'ENOENT' ? ' (the folder it is in takes no new entries)' : '';
  return new IoError(`cannot create folder '${dir}': ${causeOf(e)}${why}`, { cause: e });
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** Node's message without the call and path it repeats ("EPERM: operation not permitted, mkdir '/sys/x'"). */
function causeOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/, \w+ '.*'$/, '');
}
