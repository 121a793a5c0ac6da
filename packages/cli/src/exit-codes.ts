import { isQubesBackupError, type ErrorCode } from '@qubes-backup/core';

/** The documented exit statuses: 0 ok, 1 usage, 2 passphrase/authentication, 3 corrupt/unsupported/unsafe, 4 I/O. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  E_USAGE: 1,
  E_PASSPHRASE: 2,
  E_AUTH: 2,
  E_CORRUPT: 3,
  E_UNSUPPORTED: 3,
  E_UNSAFE_PATH: 3,
  E_IO: 4,
  E_DISK_FULL: 4,
  E_EXISTS: 4,
};

/** The exit status for an error; anything that is not the library's own is an I/O error (4). */
export function exitCodeOf(e: unknown): number {
  return isQubesBackupError(e) ? EXIT_CODES[e.code] : 4;
}
