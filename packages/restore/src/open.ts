import { promises as fsp } from 'node:fs';
import {
  CorruptBackupError, UnsupportedError, assertSafeStoredName, WrongPassphraseError, collect, concatBytes, headerVersion, isQubesBackupError,
  counted, once, parseBackupHeader, utf8,
  type ByteSource, type FormatContext, type Member, type OpenedBackup, type PrefetchContext, type Prefetched,
  type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { fileSource, pipeSource } from './source.js';

export interface OpenOptions extends ReadOptions {
  /** The backup passphrase, kept exactly (UTF-8 for strings). */
  passphrase: string | Uint8Array;
  registry: Registry;
  /** Decode with this built-in decoder whatever the header says (`--compression-filter`). */
  forceCompressionFilter?: string;
  /** Accept header-less format 2 (R2 beta 3), whose header cannot be authenticated (`--legacy`). */
  legacy?: boolean;
  /** Do not refuse data far beyond qubes.xml's backup-size (`--ignore-size-limit`). */
  ignoreSizeLimit?: boolean;
}

/** An opened backup: which format read it, and the single pass over its archives. */
export interface Opened extends OpenedBackup {
  readonly source: ByteSource;
}

const HEADER_LIMIT = 1 << 20;
/** Header-less format 2 (R2 beta 3) starts with qubes.xml; its digest was openssl's default of the time (spec §4.1). */
const HEADERLESS_V2_FIRST = 'qubes.xml.000';

/**
 * Opens a backup as the reference restore does (spec §1.1, §4.3): a directory with `qubes.xml` is
 * format 1; otherwise read `backup-header` and `backup-header.hmac`, authenticate the header by
 * trying scrypt (key `backup-header!<pass>`) and then every registered HMAC digest (key `<pass>`),
 * and only then read its `version` and hand the rest of the archive to that format's plugin.
 */
export async function openBackup(input: string | ByteSource, options: OpenOptions): Promise<Opened> {
  const passphrase = typeof options.passphrase === 'string' ? utf8.encode(options.passphrase) : options.passphrase;
  const registry = options.registry;
  // Progress is counted once, where bytes leave the source; the other layers only get the signal.
  const base = {
    registry, passphrase,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.forceCompressionFilter !== undefined ? { forceCompressionFilter: options.forceCompressionFilter } : {}),
    ...(options.legacy ? { legacy: true } : {}),
    ...(options.ignoreSizeLimit ? { ignoreSizeLimit: true } : {}),
  };

  if (typeof input === 'string' && input !== '-' && (await isDirectory(input))) {
    const plugin = formatPlugin(registry, 1);
    const source: ByteSource = { name: input, seekable: false, stream: () => { throw new UnsupportedError('a directory has no byte stream'); } };
    const opened = await plugin.open({ ...base, members: emptyMembers(), source });
    return { ...opened, source };
  }
  const raw = typeof input === 'string' ? (input === '-' ? pipeSource(process.stdin) : await fileSource(input)) : input;
  const source = options.onProgress ? withProgress(raw, options.onProgress) : raw;
  const tar = registry.get('container', 'tar');
  const members = safeNames(tar.entries(source, { ignoreZeros: true, ...(options.signal ? { signal: options.signal } : {}) })[Symbol.asyncIterator]());

  const first = await nextFile(members);
  if (!first) throw new CorruptBackupError(`${source.name} is empty or not a tar archive`);
  if (first.path === HEADERLESS_V2_FIRST) {
    if (!options.legacy) {
      throw new UnsupportedError('header-less format 2 backup (Qubes R2 beta 3): its header cannot be authenticated; rerun with --legacy to restore it', { member: first.path });
    }
    const plugin = formatPlugin(registry, 2);
    const opened = await plugin.open({ ...base, members: prepend(first, members), source });
    return { ...opened, source };
  }
  if (first.path !== 'backup-header') {
    throw new CorruptBackupError(`not a Qubes backup: the first member is '${first.path}', expected 'backup-header'`);
  }
  const header = await collect(first.body(), HEADER_LIMIT, 'backup-header');
  const second = await nextFile(members);
  if (!second || second.path !== 'backup-header.hmac') {
    throw new CorruptBackupError("'backup-header.hmac' must follow 'backup-header'", { member: second?.path ?? 'backup-header.hmac' });
  }
  const tag = await collect(second.body(), HEADER_LIMIT, 'backup-header.hmac');
  const prefetched = prefetch(registry, { ...base, header, source, offset: second.headerOffset });
  let headerMac: string;
  try {
    headerMac = await authenticateHeader(registry, header, tag, passphrase, options);
  } catch (e) {
    prefetched?.dispose();
    throw e;
  }
  const version = headerVersion(parseBackupHeader(header)) ?? 2;
  const plugin = formatPlugin(registry, version);
  const ctx: FormatContext = { ...base, header, headerMac, members, source, ...(prefetched ? { prefetched } : {}) };
  const opened = await plugin.open(ctx);
  return { ...opened, source };
}

/**
 * Lets the format the header claims start early work while the header's MAC is checked (seekable
 * sources only: the work reads ahead on its own stream). The header is not authenticated yet, so
 * nothing here may fail the open: a header that does not even parse gets no prefetch, and its real
 * error comes from authentication as before.
 */
function prefetch(registry: Registry, ctx: PrefetchContext): Prefetched | undefined {
  if (!ctx.source.seekable) return undefined;
  try {
    const version = headerVersion(parseBackupHeader(ctx.header));
    if (version === undefined || !registry.has('format', `v${version}`)) return undefined;
    return registry.get('format', `v${version}`).prefetch?.(ctx);
  } catch {
    return undefined;
  }
}

/** Returns the name of the MAC that verified the header; WrongPassphraseError when none does. */
export async function authenticateHeader(
  registry: Registry, header: Uint8Array, tag: Uint8Array, passphrase: Uint8Array, opts?: ReadOptions,
): Promise<string> {
  const macs = registry.list('mac');
  const names = [...new Set(macs.map((m) => m.name.toLowerCase()))].sort((a, b) => (a === 'scrypt' ? -1 : b === 'scrypt' ? 1 : 0));
  for (const name of names) {
    const key = name === 'scrypt' ? concatBytes([utf8.encode('backup-header!'), passphrase]) : passphrase;
    try {
      await registry.get('mac', name).verify(once(header), tag, key, opts);
      return name;
    } catch (e) {
      if (!isQubesBackupError(e) || e.code === 'E_IO' || e.code === 'E_USAGE') throw e;
      // Not this algorithm (or not this passphrase): try the next, as the reference does.
    }
  }
  throw new WrongPassphraseError('wrong passphrase (header HMAC does not verify)', { member: 'backup-header.hmac' });
}

function formatPlugin(registry: Registry, version: number) {
  if (!Number.isInteger(version) || version < 1 || version > 4) {
    throw new UnsupportedError(`unsupported backup version ${version}`, { member: 'backup-header' });
  }
  if (!registry.has('format', `v${version}`)) throw new UnsupportedError(`no plugin for backup format v${version}`);
  return registry.get('format', `v${version}`);
}

/** The next regular-file member; outer archives hold only files, anything else is skipped. */
async function nextFile(it: AsyncIterator<Member>): Promise<Member | undefined> {
  for (;;) {
    const r = await it.next();
    if (r.done) return undefined;
    if (r.value.type === 'file') return r.value;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try { return (await fsp.stat(path)).isDirectory(); } catch { return false; }
}

function withProgress(source: ByteSource, onProgress: (n: number) => void): ByteSource {
  return {
    ...source,
    stream: (offset?: number, opts?: ReadOptions) => counted(source.stream(offset, opts), onProgress),
  };
}

/** Every outer member name is checked once, here, for every format. */
function safeNames(it: AsyncIterator<Member>): AsyncIterator<Member> {
  return {
    async next() {
      const r = await it.next();
      if (!r.done) assertSafeStoredName(r.value.path);
      return r;
    },
  };
}

function emptyMembers(): AsyncIterator<Member> {
  return { next: async () => ({ done: true, value: undefined }) };
}

function prepend(first: Member, rest: AsyncIterator<Member>): AsyncIterator<Member> {
  let given = false;
  return { next: async () => (given ? rest.next() : ((given = true), { done: false, value: first })) };
}
