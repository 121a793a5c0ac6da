import { inspect } from '@qubes-backup/restore';
import { backupOptions, table, type CommonFlags } from './shared.js';
import { printJson } from '../json-answer.js';

/** What a backup holds, as its format describes it. */
export async function infoCommand(backup: string, flags: CommonFlags): Promise<void> {
  const { options, progress } = await backupOptions(backup, flags);
  // For a URL, what reading the backup cost: bytes received from the network (read-ahead included).
  let transferred = 0;
  let shown;
  try { shown = await inspect(backup, { ...options, onTransferred: (n) => { transferred += n; } }); } finally { progress.stop(); }
  if (flags.json) return printJson(true, { backup: shown.info, ...(isUrl(backup) ? { transferred } : {}) });
  const out = process.stdout;
  // As the source names it: a URL's query values (a presigned URL's signature) are not shown.
  const fields: (readonly [string, string])[] = [['Backup', shown.location], ...shown.display.fields];
  const width = Math.max(...fields.map(([l]) => l.length)) + 2;
  for (const [label, value] of fields) out.write(`${`${label}:`.padEnd(width)}${value}\n`);
  for (const t of shown.display.tables) {
    out.write(`\n${t.title ? `${t.title}\n` : ''}`);
    out.write(t.rows.length ? table([t.columns, ...t.rows]) : '(none)\n');
  }
}

/** `scheme://…`: a location a source plugin reads (a local path never has `://` after a bare word). */
function isUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}
