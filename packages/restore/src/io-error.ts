// What a failed file-system call tells the user: one typed error per cause the CLI maps to an exit
// code, naming the path (the sink adds the member).
import { IoError, UnsafePathError } from '@qubes-backup/core';

/** File-system errors as IoError, with disk full said plainly (never "HMAC"). */
export function ioError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new IoError(`disk full while writing '${path}'`, { cause: e }, 'E_DISK_FULL');
  if (code === 'EEXIST') return new IoError(`'${path}' already exists (use --force to replace it)`, { cause: e }, 'E_EXISTS');
  if (code === 'ELOOP') return new UnsafePathError(`refusing to write through symlink '${path}'`, { cause: e });
  return new IoError(`cannot write '${path}': ${(e as Error).message}`, { cause: e });
}

/** `f()`, its file-system error as `ioError` says. */
export function io<T>(f: () => T, path: string): T {
  try {
    return f();
  } catch (e) {
    throw ioError(e, path);
  }
}

/** The same for a promise. */
export async function ioAsync<T>(f: () => Promise<T>, path: string): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw ioError(e, path);
  }
}
