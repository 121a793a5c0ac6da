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

/** What shells expect of a command stopped by Ctrl-C: 128 + SIGINT (2). */
export const EXIT_INTERRUPTED = 130;

/** Ctrl-C where the terminal is raw (the passphrase prompt), so no SIGINT ends the process. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** The exit status for an error; anything that is not the library's own is an I/O error (4). */
export function exitCodeOf(e: unknown): number {
  if (e instanceof Interrupted) return EXIT_INTERRUPTED;
  return isQubesBackupError(e) ? EXIT_CODES[e.code] : 4;
}
