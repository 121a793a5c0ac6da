import type { BackupInfo, OpenedBackup } from '@qubes-backup/core';
import type { TamStatus } from './tam.js';

/** One archive of a repository, for `info`. */
export interface BorgArchiveInfo {
  readonly name: string;
  /** 64 hex digits. */
  readonly id: string;
  /** Start and end times, ISO 8601 UTC as borg stores them. */
  readonly start: string;
  readonly end?: string;
  readonly hostname?: string;
  readonly username?: string;
  readonly comment?: string;
  /**
   * Its authentication tag: `verified`, `missing` (borg < 1.0.9) or `invalid` (tampered, or renamed
   * by borg ≤ 1.2.4); `unread` when the archive is damaged.
   */
  readonly tam: TamStatus | 'invalid' | 'unread';
  /** Why its metadata does not read (a damaged or missing object): the archive fails when restored, the others do not. */
  readonly damaged?: string;
}

/** A Borg repository's `info` (`--json` prints it). */
export interface BorgRepositoryInfo extends BackupInfo {
  readonly format: 'borg';
  readonly repository: { readonly id: string; readonly location: string };
  /** `borg init -e` name: `repokey`, `keyfile-blake2`, `none`, ... */
  readonly encryption: string;
  /** Where the key came from, for encrypted and authenticated modes. */
  readonly key?: string;
  readonly appendOnly: boolean;
  /** The transaction read (`--as-of`), and the repository's last; absent through `borg serve`, which does not say. */
  readonly transaction?: number;
  readonly lastTransaction?: number;
  readonly archives: readonly BorgArchiveInfo[];
  /** With `--history`: every transaction and the archives the repository held after it. */
  readonly transactions?: readonly { readonly id: number; readonly archives: readonly string[] }[];
}

/** `info` for people. */
export function borgDisplay(info: BorgRepositoryInfo): OpenedBackup['display'] {
  const fields: [string, string][] = [
    ['Format', 'Borg 1.x repository'],
    ['Repository', info.repository.id],
    ['Encryption', info.encryption + (info.key ? ` (key: ${info.key})` : '')],
    ['Append-only', info.appendOnly ? 'yes' : 'no'],
    ['Transaction', info.transaction === undefined ? 'the last (borg serve does not say which)'
      : info.transaction === info.lastTransaction ? `${info.transaction} (the last)`
        : `${info.transaction} (as of; the last is ${info.lastTransaction})`],
  ];
  const rows = info.archives.map((a) => [a.name, a.id.slice(0, 16), a.start.replace('T', ' ').slice(0, 19), a.hostname ?? '-', a.tam]);
  const tables: { title?: string; columns: string[]; rows: string[][] }[] = [{ columns: ['ARCHIVE', 'ID', 'START (UTC)', 'HOSTNAME', 'TAM'], rows }];
  const damaged = info.archives.filter((a) => a.damaged !== undefined);
  if (damaged.length > 0) {
    tables.push({ title: 'Damaged archives (the others list and restore):', columns: ['ARCHIVE', 'WHAT IS WRONG'], rows: damaged.map((a) => [a.name, a.damaged!]) });
  }
  if (info.transactions) {
    tables.push({
      title: 'Transactions (oldest first; an archive missing after a later one was deleted then):',
      columns: ['TRANSACTION', 'ARCHIVES'],
      rows: info.transactions.map((t) => [String(t.id), t.archives.join(', ') || '-']),
    });
  }
  return { fields, tables };
}
