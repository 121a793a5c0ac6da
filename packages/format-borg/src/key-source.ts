import { CorruptBackupError, UsageError, type FormatContext, type Hash } from '@qubes-backup/core';
import type { RepositoryConfig } from './config.js';
import type { KeyType } from './key-types.js';
import { fromBase64, parseKeyFile } from './keys.js';
import { parsePaperKey } from './paper-key.js';

/** Where a key blob came from (for `info`), and the blob: the msgpack `EncryptedKey` bytes. */
export interface KeyBlob {
  readonly source: string;
  readonly blob: Uint8Array;
}

/**
 * The encrypted key of a repository: `--keyfile FILE` when given (a key file, a plain `borg key
 * export`, or a paper key typed back in), else the repokey in `config`, else a key file found as
 * borg finds it (`crypto/key.py` KeyfileKey.find_key): `BORG_KEY_FILE`, or the first file of the
 * keys folder whose first line names this repository (`BORG_KEYS_DIR`, else
 * `<config>/borg/keys` with `BORG_CONFIG_DIR`, `XDG_CONFIG_HOME`, `BORG_BASE_DIR` or `HOME`).
 */
export async function findKey(type: KeyType, config: RepositoryConfig, ctx: FormatContext, sha256: Hash): Promise<KeyBlob> {
  const given = ctx.settings['keyfile'];
  if (typeof given === 'string') return fromFile(given, await readText(ctx, given), config, sha256);
  if (type.storage === 'repokey') {
    if (!config.key) throw new CorruptBackupError("no key in the repository's config (a repokey repository keeps it there); give an exported key with --keyfile FILE", { member: 'config' });
    return { source: 'repokey (in the repository config)', blob: fromBase64(config.key, 'config') };
  }
  const env = ctx.host?.env ?? {};
  const looked: string[] = [];
  const fromEnv = env['BORG_KEY_FILE'];
  if (fromEnv) return fromFile(fromEnv, await readText(ctx, fromEnv), config, sha256);
  looked.push('BORG_KEY_FILE (not set)');
  const dir = keysDir(env);
  if (dir && ctx.host) {
    const folder = ctx.host.folder(dir);
    const entries = await folder.list('').catch(() => undefined);
    looked.push(entries ? `${dir} (${entries.length} files, none for this repository)` : `${dir} (no such folder)`);
    for (const e of entries?.filter((x) => x.type === 'file') ?? []) {
      const source = await folder.file(e.name);
      const head = new TextDecoder().decode(await source.read!(0, 80));
      if (head.startsWith(`BORG_KEY ${config.id}`)) {
        const path = `${dir.replace(/\/+$/, '')}/${e.name}`;
        return fromFile(path, await readText(ctx, path), config, sha256);
      }
    }
  }
  throw new UsageError(`no key file for repository ${config.id}: looked in ${looked.join(' and ')}; give it with --keyfile FILE (a key file, a borg key export or a paper key)`);
}

function keysDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env['BORG_KEYS_DIR']) return env['BORG_KEYS_DIR'];
  const config = env['BORG_CONFIG_DIR']
    ?? (env['XDG_CONFIG_HOME'] && !env['BORG_BASE_DIR'] ? `${env['XDG_CONFIG_HOME']}/borg` : undefined)
    ?? (env['BORG_BASE_DIR'] ?? env['HOME'] ? `${env['BORG_BASE_DIR'] ?? env['HOME']}/.config/borg` : undefined);
  return config === undefined ? undefined : `${config}/keys`;
}

async function readText(ctx: FormatContext, path: string): Promise<string> {
  if (!ctx.host) throw new UsageError(`cannot read the key file '${path}' here (no file system)`);
  const at = path.lastIndexOf('/');
  const source = await ctx.host.folder(at < 0 ? '.' : path.slice(0, at) || '/').file(path.slice(at + 1));
  if ((source.size ?? 0) > 1 << 20) throw new UsageError(`'${path}' is too large to be a Borg key`);
  return new TextDecoder().decode(await source.read!(0, 1 << 20));
}

/** A key file, a plain `borg key export`, a `--qr-html` export, or a paper key; it must be this repository's. */
function fromFile(path: string, text: string, config: RepositoryConfig, sha256: Hash): KeyBlob {
  const exported = /BORG_KEY [0-9a-f]{64}[\s\S]*/.exec(text.replace(/<\/textarea>[\s\S]*$/, ''));
  if (exported) {
    const k = parseKeyFile(exported[0].trim(), path);
    if (k.repositoryId !== config.id) throw new UsageError(`'${path}' is the key of repository ${k.repositoryId}, not of this one (${config.id})`);
    return { source: path, blob: k.blob };
  }
  const paper = parsePaperKey(text, sha256);
  if (paper) {
    if (!config.id.startsWith(paper.repositoryIdPrefix)) throw new UsageError(`'${path}' is a paper key of another repository (${paper.repositoryIdPrefix}…)`);
    return { source: `${path} (paper key)`, blob: paper.blob };
  }
  throw new UsageError(`'${path}' is not a Borg key (no 'BORG_KEY' line, no paper key 'id:' line)`);
}
