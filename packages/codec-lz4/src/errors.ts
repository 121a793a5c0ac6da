import { CorruptBackupError } from '@qubes-backup/core';

/** The one error shape every decoder failure takes: `lz4: <cause>`. */
export function corrupt(cause: string): CorruptBackupError {
  return new CorruptBackupError(`lz4: ${cause}`);
}
