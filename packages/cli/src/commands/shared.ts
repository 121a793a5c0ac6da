import { fstatSync, promises as fsp, statSync } from 'node:fs';
import { formatBytes, type Registry } from '@qubes-backup/core';
import type { BackupOptions, RunReport } from '@qubes-backup/restore';
import { readPassphrase, stdinTwice } from '../passphrase.js';
import { progressBar, type Progress } from '../progress.js';
import type { Interruption } from '../interrupt.js';

export interface CommonFlags {
  passphraseFile?: string;
  progress: boolean;
  json?: boolean;
  /** The values of the options plugins declare, by their names (set by main). */
  settings: Readonly<Record<string, string | boolean | undefined>>;
  registry: () => Registry;
  /** Ctrl-C and SIGTERM (set by main): its signal stops the work. */
  interruption: Interruption;
}

/** Registry, plugin settings, a passphrase asked for only when the backup needs one, and a progress bar sized to the backup. */
export async function backupOptions(backup: string, f: CommonFlags): Promise<{ options: BackupOptions; progress: Progress }> {
  // Said before anything is read: the passphrase is asked only after the backup's first bytes.
  const stdinBusy = backup === '-' || isStandardInput(backup);
  if (stdinBusy && f.passphraseFile === '-') throw stdinTwice();
  let size: number | undefined;
  if (backup !== '-') size = await fsp.stat(backup).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
  const progress = progressBar(size, f.progress && !f.json && Boolean(process.stderr.isTTY));
  const options: BackupOptions = {
    registry: f.registry(),
    settings: f.settings,
    passphrase: async (purpose?: string, how?: { readonly ask: boolean }) => {
      const from = { ...(f.passphraseFile !== undefined ? { passphraseFile: f.passphraseFile } : {}), stdinBusy, ...(purpose ? { purpose } : {}) };
      if (how?.ask === false) return readPassphrase({ ...from, ask: false });
      progress.pause();
      try {
        return await readPassphrase(from);
      } finally {
        progress.resume();
      }
    },
    onProgress: (n) => progress.add(n),
    onStatus: (text) => progress.status(text),
    signal: f.interruption.signal,
    // A URL's size is known once its source opened; a local file's already sized the bar.
    onSize: (n) => progress.total(n),
  };
  return { options, progress };
}

/**
 * Whether a path names this process's standard input (/dev/stdin, /dev/fd/0, or the file that was
 * redirected into it): reading the passphrase from there would eat the backup.
 */
function isStandardInput(path: string): boolean {
  try {
    const a = statSync(path);
    const b = fstatSync(0);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Fixed-width table for terminals. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** The summary table of a run: one row per unit (VM, archive). */
export function printReport(r: RunReport, noun = 'VM'): void {
  const rows = [[noun.toUpperCase(), 'STATUS', 'FILES', 'BYTES', 'FAILING MEMBER']];
  for (const v of r.units) rows.push([v.name, v.kept ? 'ok (kept)' : v.status, String(v.files), formatBytes(v.bytes), v.failingMember ?? '']);
  process.stdout.write(table(rows));
}
