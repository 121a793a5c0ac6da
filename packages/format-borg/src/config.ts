import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';

/** The `[repository]` section of a Borg repository's `config` file. */
export interface RepositoryConfig {
  /** 64 lowercase hex digits. */
  readonly id: string;
  readonly version: number;
  readonly segmentsPerDir: number;
  readonly appendOnly: boolean;
  /** The repokey: the encrypted key blob, base64 (continuation lines joined), when stored here. */
  readonly key?: string;
}

const MEMBER = 'config';

/**
 * Reads `config` as Python's configparser writes it: `[section]` headers, `key = value` lines,
 * values continued on lines that start with whitespace (the repokey spans many, indented by a tab),
 * `#`/`;` comment lines. Keys are case-insensitive.
 */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let last: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) { if (raw.trim() === '') last = undefined; continue; }
    if (/^\s/.test(raw) && section && last !== undefined) {
      section.set(last, `${section.get(last)}\n${raw.trim()}`);
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = new Map();
      sections.set(header[1]!, section);
      last = undefined;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv || !section) throw new CorruptBackupError(`cannot parse the line '${raw.slice(0, 60)}'`, { member: MEMBER });
    last = kv[1]!.trim().toLowerCase();
    section.set(last, kv[2]!.trim());
  }
  return sections;
}

/** The repository settings a reader needs, checked as borg checks them when it opens a repository. */
export function parseRepositoryConfig(bytes: Uint8Array): RepositoryConfig {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const repo = parseIni(text).get('repository');
  if (!repo) throw new CorruptBackupError('no [repository] section: not a Borg repository', { member: MEMBER });
  const int = (k: string, fallback?: number): number => {
    const v = repo.get(k);
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined || !/^[0-9]+$/.test(v)) throw new CorruptBackupError(`invalid or missing '${k}'`, { member: MEMBER });
    return Number(v);
  };
  const version = int('version');
  if (version !== 1) {
    throw new UnsupportedError(`repository version ${version} is not Borg 1.x (Borg 2 repositories are not supported yet)`, { member: MEMBER });
  }
  const id = (repo.get('id') ?? '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(id)) throw new CorruptBackupError("invalid or missing 'id'", { member: MEMBER });
  const segmentsPerDir = int('segments_per_dir', 1000);
  if (segmentsPerDir < 1) throw new CorruptBackupError("invalid 'segments_per_dir'", { member: MEMBER });
  const appendOnly = /^(1|yes|true|on)$/i.test(repo.get('append_only') ?? '0');
  const key = repo.get('key')?.replace(/\s+/g, '');
  return { id, version, segmentsPerDir, appendOnly, ...(key ? { key } : {}) };
}
