import { defaultRegistry, type BackupOptions } from '@qubes-backup/restore';
import { readPassphrase } from '../passphrase.js';
import { progressBar, type Progress } from '../progress.js';
import { promises as fsp } from 'node:fs';

export interface CommonFlags {
  passphraseFile?: string;
  compressionFilter?: string;
  legacy?: boolean;
  ignoreSizeLimit?: boolean;
  progress: boolean;
  json?: boolean;
}

/** Passphrase, registry, forced filter and a progress bar sized to the backup file. */
export async function backupOptions(backup: string, f: CommonFlags): Promise<{ options: BackupOptions; progress: Progress }> {
  const passphrase = await readPassphrase({
    ...(f.passphraseFile !== undefined ? { passphraseFile: f.passphraseFile } : {}),
    stdinBusy: backup === '-',
  });
  let size: number | undefined;
  if (backup !== '-') size = await fsp.stat(backup).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
  const progress = progressBar(size, f.progress && !f.json && Boolean(process.stderr.isTTY));
  const options: BackupOptions = {
    passphrase,
    registry: defaultRegistry(),
    onProgress: (n) => progress.add(n),
    ...(f.compressionFilter !== undefined ? { forceCompressionFilter: f.compressionFilter } : {}),
    ...(f.legacy ? { legacy: true } : {}),
    ...(f.ignoreSizeLimit ? { ignoreSizeLimit: true } : {}),
  };
  return { options, progress };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Fixed-width table for terminals. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
