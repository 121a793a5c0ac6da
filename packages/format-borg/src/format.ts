import {
  AuthenticationError, CorruptBackupError, UnsupportedError, UsageError,
  type Archive, type BackupInput, type FormatContext, type FormatPlugin, type OpenedBackup, type PluginDescriptor,
  type PluginInfo, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { itemsOf, loadArchive, usersOf, type ArchiveMeta } from './archive.js';
import type { RepositoryConfig } from './config.js';
import { KEY_TYPES } from './key-types.js';
import { findKey } from './key-source.js';
import { decryptKeyBlob, type KeyMaterial } from './keys.js';
import { parseManifest, type Manifest } from './manifest.js';
import { membersOf, typeOfMode } from './members.js';
import { bytesToName } from './msgpack.js';
import { borgDisplay, type BorgArchiveInfo, type BorgRepositoryInfo } from './model.js';
import { chunkList } from './chunk-list.js';
import { itemSource } from './item-source.js';
import { Objects, hex, reason } from './objects.js';
import { MANIFEST_ID, Repository } from './repository.js';

const info: PluginInfo<'format'> = {
  kind: 'format', name: 'borg', backend: 'portable',
  options: [
    { name: 'keyfile', value: 'FILE', description: 'Borg: the repository key (a key file, a borg key export, or a paper key typed back in)' },
    { name: 'as-of', value: 'N', description: 'Borg: read the repository as it was after transaction N (see info --history)' },
    { name: 'history', description: 'Borg (info): list every transaction and the archives present after it' },
    {
      name: 'accept-unauthenticated-archives',
      description: 'Borg: open archives whose authentication tag (TAM) is missing or does not verify (borg < 1.0.9, or renamed by borg <= 1.2.4)',
    },
    { name: 'consider-checkpoints', description: 'Borg: also list checkpoint archives (<name>.checkpoint) left by an interrupted borg create' },
    {
      name: 'member', value: 'PATH',
      description: 'Borg: open the backup stored as this file of REPO::ARCHIVE (a Qubes backup file), read in place; ' +
        'its passphrase comes from QUBES_BACKUP_PASSPHRASE, the repository\'s from BORG_PASSPHRASE',
    },
  ],
};

/** Borg 1.x repositories (a folder of segments), every encryption and compression mode. */
export const formatBorg: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, detect: detectBorg, open: openBorg }),
};

/** A folder with a `config` whose `[repository]` section this is, and a `data` folder of segments. */
async function detectBorg(input: BackupInput): Promise<boolean> {
  if (input.kind !== 'directory') return false;
  try {
    const names = await input.dir.list('');
    if (!names.some((e) => e.name === 'config' && e.type === 'file') || !names.some((e) => e.name === 'data' && e.type === 'dir')) return false;
    const head = new TextDecoder().decode(await (await input.dir.file('config')).read!(0, 4096));
    return /^\s*\[repository\]/m.test(head);
  } catch {
    return false;
  }
}

async function openBorg(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  if (input.kind !== 'directory') throw new UsageError('a Borg repository is a folder');
  const registry = ctx.registry;
  const asOf = asNumber(ctx.settings['as-of'], 'as-of');
  const repo = await Repository.open(input.dir, registry.get('hash', 'crc32'), asOf);
  const stored = await repo.get(MANIFEST_ID);
  if (!stored || stored.length === 0) throw new CorruptBackupError('the repository has no manifest (an empty or broken repository)', { member: 'manifest' });
  const typeByte = stored[0]!;
  const type = KEY_TYPES[typeByte];
  if (!type) throw new UnsupportedError(`unknown key type 0x${typeByte.toString(16).padStart(2, '0')} (Borg 2, or not Borg)`, { member: 'manifest' });

  let key: KeyMaterial | undefined;
  let keySource: string | undefined;
  if (type.storage === 'none') refuseLostEncryption(repo.config, ctx);
  else {
    const blob = await findKey(type, repo.config, ctx, registry.get('hash', 'sha256'));
    keySource = blob.source;
    key = await unlock(registry, blob.blob, ctx);
  }
  const objects = new Objects(repo, registry, typeByte, key);
  const manifest = await parseManifest(registry, await objects.manifest(stored), key, key?.tamRequired ?? false);
  const entries = manifest.archives.filter((a) => (ctx.settings['consider-checkpoints'] === true || !a.name.includes('.checkpoint') || a.name === ctx.unit));
  if (ctx.unit !== undefined && !entries.some((a) => a.name === ctx.unit)) {
    throw new UsageError(`no archive named '${ctx.unit}' in this repository (archives: ${entries.map((a) => a.name).join(', ') || 'none'})`);
  }
  // Each archive's metadata is read (and its TAM checked) to show its host and times; with
  // REPO::ARCHIVE only that one, and its damage fails the command. Of the whole repository, an
  // archive whose metadata does not read is listed as damaged and fails only when it is read:
  // the others still list and restore (with --keep-going, all of them).
  const metas = new Map<string, ArchiveMeta>();
  const damaged = new Map<string, Error>();
  for (const a of entries) {
    if (ctx.unit !== undefined && a.name !== ctx.unit) continue;
    try {
      metas.set(a.name, await loadArchive(registry, objects, key, a.name, a.id));
    } catch (e) {
      if (ctx.unit !== undefined || !isArchiveDamage(e)) throw e;
      damaged.set(a.name, e);
    }
  }
  const archivesInfo: BorgArchiveInfo[] = entries.filter((a) => metas.has(a.name) || damaged.has(a.name)).map((a) => {
    const m = metas.get(a.name);
    if (!m) return { name: a.name, id: hex(a.id), start: a.time, tam: 'unread', damaged: reason(damaged.get(a.name)) };
    return {
      name: a.name, id: m.id, start: a.time, tam: m.tam,
      ...(m.timeEnd ? { end: m.timeEnd } : {}), ...(m.hostname ? { hostname: m.hostname } : {}),
      ...(m.username ? { username: m.username } : {}), ...(m.comment ? { comment: m.comment } : {}),
    };
  });
  const transactions = ctx.settings['history'] === true ? await history(repo, objects, registry, key) : undefined;
  const model: BorgRepositoryInfo = {
    format: 'borg', title: 'Borg 1.x repository', unitNoun: 'archive',
    encrypted: type.mac !== undefined,
    authenticated: type.id !== 'sha256',
    units: archivesInfo.map((a) => ({ name: a.name, output: a.name, present: true })),
    repository: { id: repo.config.id, location: input.dir.name },
    encryption: type.mode,
    ...(keySource ? { key: keySource } : {}),
    appendOnly: repo.config.appendOnly,
    ...(repo.transaction !== undefined ? { transaction: repo.transaction } : {}),
    ...(repo.lastTransaction !== undefined ? { lastTransaction: repo.lastTransaction } : {}),
    archives: archivesInfo,
    ...(transactions ? { transactions } : {}),
  };
  const accept = ctx.settings['accept-unauthenticated-archives'] === true;
  /** An archive's metadata once it may be read: its damage, or a TAM not accepted, is this archive's failure. */
  const readable = (name: string): ArchiveMeta => {
    const failure = damaged.get(name);
    if (failure) throw failure;
    const meta = metas.get(name)!;
    checkTam(meta, accept);
    return meta;
  };
  const member = ctx.settings['member'];
  if (typeof member === 'string') return openMember(member, ctx, archivesInfo, readable, objects);

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive> {
    for (const a of archivesInfo) {
      if (!select({ unit: a.name, path: '' })) continue;
      opts?.signal?.throwIfAborted();
      // Refused when its members are read, so a run going on past failures (--keep-going) goes on to the next archive.
      yield {
        unit: a.name, path: '', prefix: '',
        members: (mo) => { const meta = readable(a.name); return membersOf(itemsOf(objects, meta), objects, a.name, (id) => usersOf(objects, meta, id), mo); },
      };
    }
  }

  return { info: model, display: borgDisplay(model), archives };
}

/**
 * A backup stored as a file of an archive (`--member PATH` of `REPO::ARCHIVE`), opened in place
 * through the engine's own detection: a Qubes backup in a Borg archive restores like one on disk.
 */
async function openMember(
  path: string, ctx: FormatContext, archives: readonly BorgArchiveInfo[], readable: (name: string) => ArchiveMeta, objects: Objects,
): Promise<OpenedBackup> {
  if (!ctx.open) throw new UsageError('--member: this front end cannot open a backup inside another');
  const name = ctx.unit ?? (archives.length === 1 ? archives[0]!.name : undefined);
  if (name === undefined) throw new UsageError('--member needs one archive: REPO::ARCHIVE');
  const meta = readable(name);
  const wanted = path.split('/').filter((p) => p !== '' && p !== '.').join('/');
  /** The item named `p`, read from the start of the archive's items. */
  const itemAt = async (p: string) => {
    for await (const item of itemsOf(objects, meta)) if (item['path'] instanceof Uint8Array && bytesToName(item['path']) === p) return item;
    return undefined;
  };
  const item = await itemAt(wanted);
  if (!item) throw new UsageError(`--member: no file '${wanted}' in archive '${name}'`);
  if (typeof item['mode'] !== 'number' || typeOfMode(item['mode']) !== 'file') throw new UsageError(`--member: '${wanted}' in archive '${name}' is not a regular file`);
  // A hard link after the first keeps no chunks: they are its first link's (`source`), an earlier item.
  const first = !Array.isArray(item['chunks']) && item['source'] instanceof Uint8Array ? await itemAt(bytesToName(item['source'])) : item;
  const chunks = first?.['chunks'];
  if (!Array.isArray(chunks)) throw new CorruptBackupError(`'${wanted}' in archive '${name}' is a file without content (its hard link's first file has none)`, { member: `archive '${name}'` });
  const list = chunkList(chunks, `archive '${name}': ${wanted}`);
  return ctx.open({ kind: 'file', source: itemSource(`${name}:${wanted}`, list, objects) });
}

/**
 * A manifest in plain text (mode none) where a key is at hand: the repository's config holds one,
 * or the user gave one. Borg never makes such a repository (the mode is chosen once, at `borg
 * init`), and it refuses one whose mode changed ("encryption method changed", remembered per
 * repository); here nothing is remembered, so the key at hand says it: someone who can write to
 * the repository replaced its contents with unauthenticated ones.
 */
function refuseLostEncryption(config: RepositoryConfig, ctx: FormatContext): void {
  const keyfile = ctx.settings['keyfile'];
  const had = config.key ? "its config holds a key (it was made with encryption)" : typeof keyfile === 'string' ? `a key was given (--keyfile ${keyfile})` : undefined;
  if (had === undefined) return;
  throw new AuthenticationError(`the repository's manifest is stored unencrypted and unauthenticated (mode none), but ${had}: its contents were replaced by someone who can write to it; refusing`, { member: 'manifest' });
}

/** What one archive's damage is (its object fails, or its metadata does not parse), not the repository's nor this machine's. */
function isArchiveDamage(e: unknown): e is Error {
  const code = (e as { code?: string }).code;
  return code === 'E_AUTH' || code === 'E_CORRUPT' || code === 'E_UNSUPPORTED';
}

/** An archive whose TAM did not verify opens only when the user accepted that. */
function checkTam(meta: ArchiveMeta, accept: boolean): void {
  if (meta.tam === 'verified' || accept) return;
  throw new AuthenticationError(meta.tam === 'missing'
    ? 'has no authentication tag (TAM): made by borg < 1.0.9, or forged by someone who can write to the repository; ' +
      '--accept-unauthenticated-archives opens it anyway'
    : 'its authentication tag (TAM) does not verify: tampered, or renamed or recreated by borg <= 1.2.4; ' +
      '--accept-unauthenticated-archives opens it anyway', { member: `archive '${meta.name}'` });
}

/**
 * The key, decrypted. A passphrase given (an option, a file, the environment) is the only one
 * tried, as borg tries only BORG_PASSPHRASE when it is set: a key someone replaced with one of
 * their own under an empty passphrase then fails as a wrong passphrase instead of opening. With
 * none given, an empty passphrase is tried first, as borg does before it asks, so a key stored
 * without one opens without a prompt.
 */
async function unlock(registry: Registry, blob: Uint8Array, ctx: FormatContext): Promise<KeyMaterial> {
  const given = await ctx.givenPassphrase?.('borg');
  if (given !== undefined) return decryptKeyBlob(registry, blob, given);
  try {
    return await decryptKeyBlob(registry, blob, new Uint8Array(0));
  } catch (e) {
    if ((e as { code?: string }).code !== 'E_PASSPHRASE') throw e;
  }
  return decryptKeyBlob(registry, blob, await ctx.passphrase('borg'));
}

/** Every transaction and the archive names its manifest listed (each manifest authenticated by its own MAC and TAM). */
async function history(repo: Repository, objects: Objects, registry: Registry, key: KeyMaterial | undefined): Promise<{ id: number; archives: string[] }[]> {
  const out: { id: number; archives: string[] }[] = [];
  for (const t of await repo.history()) {
    const stored = await repo.manifestOf(t);
    let manifest: Manifest | undefined;
    if (stored) manifest = await parseManifest(registry, await objects.manifest(stored), key, key?.tamRequired ?? false);
    out.push({ id: t.id, archives: manifest?.archives.map((a) => a.name) ?? [] });
  }
  return out;
}

function asNumber(v: string | boolean | undefined, name: string): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw new UsageError(`--${name} takes a transaction number (see info --history)`);
  return Number(v);
}
