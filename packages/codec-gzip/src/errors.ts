import { CorruptBackupError } from '@qubes-backup/core';

/** The one error shape every decoder failure takes: `gzip: <cause>`. */
export function corrupt(cause: string, error?: unknown): CorruptBackupError {
  return new CorruptBackupError(`gzip: ${cause}`, error === undefined ? {} : { cause: error });
}
