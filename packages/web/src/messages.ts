import { isQubesBackupError } from '@qubes-backup/core';

/**
 * An error in words for the person recovering: what went wrong and what to do, by the stable
 * error code (never by class: see core's errors). The library's own one-line message follows,
 * since it names the member and the cause.
 */
export function plainWords(e: unknown): string {
  if ((e as Error | undefined)?.name === 'AbortError') return 'Cancelled.';
  const detail = e instanceof Error ? e.message : String(e);
  if (!isQubesBackupError(e)) return `Something went wrong: ${detail}`;
  const where = e.member !== undefined ? ` (in ${e.member})` : '';
  switch (e.code) {
    case 'E_PASSPHRASE':
      return `The passphrase is wrong: it does not open this backup. Check it (including capitals and keyboard layout) and try again. Details: ${detail}`;
    case 'E_AUTH':
      return `The backup is damaged${where}: its data does not match its checksum, so it was not used. Details: ${detail}`;
    case 'E_CORRUPT':
      return `The backup is damaged${where}. Details: ${detail}`;
    case 'E_UNSUPPORTED':
      return `This page cannot read this backup. Details: ${detail}`;
    case 'E_USAGE':
      return detail.charAt(0).toUpperCase() + detail.slice(1);
    default:
      return `Reading failed${where}. Details: ${detail}`;
  }
}
