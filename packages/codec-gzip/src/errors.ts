import { CorruptBackupError } from '@qubes-backup/core';

/** The one error shape every decoder failure takes: `gzip: <cause>` (or `zlib: <cause>`). */
export function corrupt(cause: string, error?: unknown, format: 'gzip' | 'zlib' = 'gzip'): CorruptBackupError {
  return new CorruptBackupError(`${format}: ${cause}`, error === undefined ? {} : { cause: error });
}

/** `zlib: <cause>`, for the RFC 1950 decoders. */
export const corruptZlib = (cause: string, error?: unknown): CorruptBackupError => corrupt(cause, error, 'zlib');
