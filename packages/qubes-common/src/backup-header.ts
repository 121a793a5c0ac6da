import { CorruptBackupError } from '@qubes-backup/core';

const TOKEN = /^[A-Za-z0-9-]*$/;
const MEMBER = 'backup-header';

/**
 * The `backup-header` syntax shared by formats 2–4, with the reference parser's strict rules
 * (spec §3.2): ASCII only; every line exactly one `=`; keys and values of `[A-Za-z0-9-]`;
 * a repeated key is an error. Which keys are required is each format's business.
 * Call only on authenticated bytes; the strictness is defence in depth.
 */
export function parseBackupHeader(bytes: Uint8Array): Map<string, string> {
  if (bytes.length > 65536) throw new CorruptBackupError('backup header is larger than 64 KiB', { member: MEMBER });
  for (const b of bytes) {
    if (b > 0x7f) throw new CorruptBackupError('non-ASCII characters in backup header', { member: MEMBER });
  }
  const text = new TextDecoder('latin1').decode(bytes);
  const out = new Map<string, string>();
  // Python's splitlines(): a final newline does not make an empty last line.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.trim();
    const eq = line.split('=');
    if (eq.length !== 2) throw new CorruptBackupError(`invalid backup header line '${printable(line)}'`, { member: MEMBER });
    const [key, value] = eq as [string, string];
    if (!TOKEN.test(key) || key === '') throw new CorruptBackupError(`invalid key '${printable(key)}' in backup header`, { member: MEMBER });
    if (!TOKEN.test(value)) {
      throw new CorruptBackupError(`invalid value for '${key}' in backup header (only letters, digits and '-')`, { member: MEMBER });
    }
    if (out.has(key)) throw new CorruptBackupError(`duplicate key '${key}' in backup header`, { member: MEMBER });
    out.set(key, value);
  }
  return out;
}

/** Python `bool(value)` as the reference converts it: `1`, `true`, `yes` (any case) are true. */
export function headerBool(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.toLowerCase());
}

/** The `version` value, or undefined when the header has none (format 2 headers). */
export function headerVersion(header: Map<string, string>): number | undefined {
  const v = header.get('version');
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,3}$/.test(v)) throw new CorruptBackupError(`invalid version '${v}' in backup header`, { member: MEMBER });
  return Number(v);
}

function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}
