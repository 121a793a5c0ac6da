import { CorruptBackupError } from '@qubes-backup/core';

/**
 * `key = value` lines as Wyng writes its metadata (Python's configparser and `print(k, "=", v)`),
 * split at the first `=`, both sides trimmed. Blank lines are skipped; a line without `=` is
 * corrupt. Keys may repeat (`tag`), so the pairs are returned in order.
 */
export function keyValues(text: string, what: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    if (at < 0) throw new CorruptBackupError(`a line without '=': ${JSON.stringify(line.slice(0, 60))}`, { member: what });
    out.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]);
  }
  return out;
}

/** An INI text's sections (`[var]`, `[volumes]`), each its `key = value` pairs; a key repeated in a section is corrupt. */
export function iniSections(text: string, what: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const head = /^\[([^\]]+)\]\s*$/.exec(line);
    if (head) {
      if (sections.has(head[1]!)) throw new CorruptBackupError(`section [${head[1]}] appears twice`, { member: what });
      current = new Map();
      sections.set(head[1]!, current);
      continue;
    }
    if (line.trim() === '') continue;
    if (!current) throw new CorruptBackupError('a line before the first [section]', { member: what });
    const [[k, v]] = keyValues(line, what) as [[string, string]];
    if (current.has(k)) throw new CorruptBackupError(`'${k}' appears twice`, { member: what });
    current.set(k, v);
  }
  return sections;
}

/** Wyng's hashes as stored: URL-safe base64 of the digest, with padding. */
export function b64urlDecode(s: string, length: number): Uint8Array | undefined {
  if (s.length !== 4 * Math.ceil(length / 3) || !/^[A-Za-z0-9_-]+=*$/.test(s)) return undefined;
  const bytes = Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return bytes.length === length ? bytes : undefined;
}

export function b64urlEncode(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_');
}
