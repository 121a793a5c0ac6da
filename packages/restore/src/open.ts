import { promises as fsp } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import {
  CorruptBackupError, IoError, UnsupportedError, UsageError, utf8,
  type BackupInput, type ByteSource, type DirectorySource, type FormatContext, type OpenedBackup,
  type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { guardedInput } from './guarded-input.js';
import { directorySource, fileSource, pipeSource, streamSource, withHead } from './source.js';

/** How many leading bytes of a file formats see to recognize it. */
const PROBE_BYTES = 64 << 10;

export type Passphrase = string | Uint8Array;

export interface OpenOptions extends ReadOptions {
  registry: Registry;
  /**
   * The passphrase (kept exactly; UTF-8 for strings), or a function asked for it only when the
   * format needs one: a plaintext Borg repository never does, and a missing file is reported first.
   * Called with `{ ask: false }`, the function gives the passphrase only if it needs no one to type
   * it (an option, a file, the environment), else undefined: Borg tries an empty passphrase first
   * only when none was given (`FormatContext.givenPassphrase`).
   */
  passphrase?: Passphrase | ((purpose?: string, how?: { readonly ask: boolean }) => Promise<Passphrase | undefined>);
  /** Values of the options plugins declare (`compression-filter`, `legacy`, `as-of`, `keyfile`, ...), by name. */
  settings?: Readonly<Record<string, string | boolean | undefined>>;
  /** Opened to be checked only (`verify`): formats may check more than a restore reads (`FormatContext.checking`). */
  checking?: boolean;
  /**
   * Told the backup file's size once it is known, before anything else is read: for a URL only the
   * source learns it (a progress bar's total). Not called for folders and pipes of unknown length.
   */
  onSize?: (bytes: number) => void;
  /**
   * Told the bytes the source received, as they arrive: for a URL, what the network carried
   * (read-ahead included); `onProgress` is how far into the backup the restore is.
   */
  onTransferred?: (bytes: number) => void;
}

/** What `openBackup` reads: a path (`-` for standard input; `REPO::ARCHIVE` names one archive), a file source or a folder. */
export type BackupLocation = string | ByteSource | DirectorySource;

/** An opened backup, and what it was read from. */
export interface Opened extends OpenedBackup {
  readonly input: BackupInput;
  /** A regular file of this machine: seeking over it costs nothing (not a pipe, not a remote source). */
  readonly local?: boolean;
  /** The unit the location named (`REPO::ARCHIVE`), if any. */
  readonly unit?: string;
}

/**
 * Opens a backup of any registered format: the input (a file, a pipe or a folder) is shown to
 * each format plugin in registry order, and the first that recognizes it opens it. Nothing here
 * knows a format; adding one is a `registry.use(...)`.
 */
export async function openBackup(location: BackupLocation, options: OpenOptions): Promise<Opened> {
  const { input, unit, local } = await resolveLocation(location, options);
  if (input.kind === 'file' && input.source.size !== undefined) options.onSize?.(input.source.size);
  // A remote input (a connection) is released here when opening fails, else with the backup.
  const release = typeof location === 'string' ? () => closeInput(input) : async () => undefined;
  let opened: OpenedBackup;
  let counted: BackupInput;
  try {
    // Guarded from the first byte: a read error in the header is said like any other, and the
    // probe's head is progress like every other read.
    const { input: probed, head } = await probe(guardedInput(input, options));
    counted = probed;
    const format = await options.registry.detect(probed, head);
    if (!format) throw await unrecognized(options.registry, probed, head);
    opened = await format.open(probed, formatContext(options, unit));
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  // The unit the location named selects a unit of what opened; a format that used it to find a
  // backup inside (`REPO::ARCHIVE --member PATH`) returns that backup, whose units are others.
  const named = unit !== undefined && opened.info.units.some((u) => u.name === unit);
  const formatClose = opened.close?.bind(opened);
  return {
    ...opened, input: counted, local, ...(named ? { unit } : {}),
    close: async () => { try { await formatClose?.(); } finally { await release(); } },
  };
}

/** Closes what a source plugin opened (its connection); local sources have nothing to close. */
async function closeInput(input: BackupInput): Promise<void> {
  await (input.kind === 'file' ? input.source.close?.() : input.dir.close?.());
}

/** A backup inside another (a Qubes backup file in a Borg archive): detected and opened like any input. */
async function openInner(input: BackupInput, options: OpenOptions): Promise<OpenedBackup> {
  const { input: probed, head } = await probe(input);
  const format = await options.registry.detect(probed, head);
  if (!format) throw await unrecognized(options.registry, probed, head);
  return format.open(probed, formatContext(options, undefined));
}

/** The name of the format that recognizes a location (a file, a folder), or undefined: no passphrase needed. */
export async function identify(location: BackupLocation, registry: Registry, settings: OpenOptions['settings'] = {}): Promise<string | undefined> {
  const { input } = await resolveLocation(location, { registry, settings });
  try {
    const { input: probed, head } = await probe(input);
    return (await registry.detect(probed, head))?.info.name;
  } finally {
    if (typeof location === 'string') await closeInput(input).catch(() => undefined);
  }
}

/** An opened backup, or where to open one: every library call takes either. */
export type BackupOrLocation = BackupLocation | Opened;

/** Opens `x` unless it is already open; `close` releases only what was opened here. */
export async function opening(x: BackupOrLocation, options: OpenOptions): Promise<{ opened: Opened; close(): Promise<void> }> {
  if (typeof x === 'object' && 'archives' in x) return { opened: x, close: async () => undefined };
  const opened = await openBackup(x, options);
  return { opened, close: async () => { await opened.close?.(); } };
}

function formatContext(options: OpenOptions, unit: string | undefined): FormatContext {
  const asked = new Map<string, Promise<Uint8Array>>();
  const given = options.passphrase;
  return {
    registry: options.registry,
    settings: options.settings ?? {},
    ...(unit !== undefined ? { unit } : {}),
    ...(options.checking ? { checking: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStatus ? { onStatus: options.onStatus } : {}),
    // Derivations ahead of use may take the cores and half of the memory free now.
    resources: { cores: availableParallelism(), memory: freemem() / 2 },
    host: { env: process.env, folder: directorySource },
    passphrase(purpose?: string) {
      let p = asked.get(purpose ?? '');
      if (!p) {
        p = (async () => {
          const v = typeof given === 'function' ? await given(purpose) : given;
          if (v === undefined) throw new UsageError('this backup needs a passphrase, and none was given');
          return typeof v === 'string' ? utf8.encode(v) : v;
        })();
        asked.set(purpose ?? '', p);
      }
      return p;
    },
    async givenPassphrase(purpose?: string) {
      const p = asked.get(purpose ?? '');
      if (p) return p;
      const v = typeof given === 'function' ? await given(purpose, { ask: false }) : given;
      if (v === undefined) return undefined;
      const bytes = typeof v === 'string' ? utf8.encode(v) : v;
      asked.set(purpose ?? '', Promise.resolve(bytes));
      return bytes;
    },
    open: (input) => openInner(input, options),
  };
}

/**
 * A path names a file, a folder, or `-` (a named pipe or character device is streamed like it);
 * `REPO::ARCHIVE` names one archive of a repository (split at the first `::` whose left part
 * exists, so a path that itself contains `::` still opens). A URL (`scheme://…`) goes to the source
 * plugin registered for its scheme, before the file system.
 */
async function resolveLocation(
  location: BackupLocation, options: Pick<OpenOptions, 'registry' | 'settings' | 'signal' | 'onTransferred' | 'onStatus'>,
): Promise<{ input: BackupInput; unit?: string; local: boolean }> {
  if (typeof location !== 'string') {
    return 'list' in location ? { input: { kind: 'directory', dir: location }, local: false } : { input: { kind: 'file', source: location }, local: false };
  }
  if (location === '-') return { input: { kind: 'file', source: pipeSource(process.stdin) }, local: false };
  const remote = await resolveUrl(location, options);
  if (remote) return { ...remote, local: false };
  let path = location;
  let unit: string | undefined;
  if (!(await exists(location)) && location.includes('::')) {
    const at = location.indexOf('::');
    path = location.slice(0, at);
    unit = location.slice(at + 2);
    if (unit === '') throw new UsageError(`'${location}': nothing after '::' (REPO::ARCHIVE names one archive)`);
  }
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' || code === 'ENOTDIR' ? `no such file or folder: '${path}'` : `cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  // A block device is seekable (a disk holding the backup), so only pipes and character devices stream.
  const streamed = st.isFIFO() || st.isCharacterDevice();
  const input: BackupInput = st.isDirectory() ? { kind: 'directory', dir: directorySource(path) }
    : { kind: 'file', source: streamed ? streamSource(path, st, {
      ...(options.signal ? { signal: options.signal } : {}), ...(options.onStatus ? { onStatus: options.onStatus } : {}),
    }) : await fileSource(path) };
  return { input, local: st.isFile(), ...(unit !== undefined ? { unit } : {}) };
}

/** `scheme://authority/path`: the scheme (lower case) and where the path starts. */
const URL_LIKE = /^([a-z][a-z0-9+.-]*):\/\/[^/]*/i;

/**
 * A URL whose scheme a source plugin claims, opened by it. The unit (`URL::ARCHIVE`) is split at the
 * first `::` after the authority, so an IPv6 host (`ssh://[::1]/repo`) stays whole. A URL-like
 * string that is a local path, or whose scheme no plugin claims, is left to the file system, which
 * reports a missing path with the known schemes in the message.
 */
async function resolveUrl(
  location: string, options: Pick<OpenOptions, 'registry' | 'settings' | 'signal' | 'onTransferred'>,
): Promise<{ input: BackupInput; unit?: string } | undefined> {
  const m = URL_LIKE.exec(location);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (!options.registry.has('source', scheme)) {
    if (await exists(location)) return undefined;
    const known = options.registry.list('source').flatMap((d) => [d.name, ...(d.aliases ?? [])]);
    throw new UnsupportedError(`'${location}': no source plugin reads ${scheme}:// URLs` + (known.length ? ` (known: ${known.join(', ')})` : ''));
  }
  const at = location.indexOf('::', m[0].length);
  const url = at < 0 ? location : location.slice(0, at);
  const unit = at < 0 ? undefined : location.slice(at + 2);
  if (unit === '') throw new UsageError(`'${location}': nothing after '::' (REPO::ARCHIVE names one archive)`);
  const input = await options.registry.get('source', scheme).open(url, {
    settings: options.settings ?? {}, host: { env: process.env, folder: directorySource },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onTransferred ? { onProgress: options.onTransferred } : {}),
  });
  return { input, ...(unit !== undefined ? { unit } : {}) };
}

async function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(() => true, () => false);
}

/** A file's first bytes; a pipe's are read ahead and replayed to the format. */
async function probe(input: BackupInput): Promise<{ input: BackupInput; head?: Uint8Array }> {
  if (input.kind !== 'file') return { input };
  const source = input.source;
  if (source.seekable && source.read) return { input, head: await source.read(0, PROBE_BYTES) };
  const replay = await withHead(source, PROBE_BYTES);
  return { input: { kind: 'file', source: replay.source }, head: replay.head };
}

/** The error for an input no format recognizes, pointing at a backup inside a folder when there is one. */
async function unrecognized(registry: Registry, input: BackupInput, head: Uint8Array | undefined): Promise<Error> {
  const known = [...new Set(registry.list('format').map((d) => d.name))].join(', ');
  // A file no format claims is most often a damaged backup (its first header cut or flipped).
  if (input.kind === 'file') {
    if (head?.length === 0) return new CorruptBackupError(`'${input.source.name}' is empty`);
    return new CorruptBackupError(`'${input.source.name}' is not a backup this tool reads: no format (${known}) recognizes its first bytes`);
  }
  const dir = input.dir;
  const found: string[] = [];
  for (const e of (await dir.list('')).filter((x) => x.type === 'file').slice(0, 100)) {
    const source = await dir.file(e.name).catch(() => undefined);
    const h = await source?.read?.(0, PROBE_BYTES).catch(() => undefined);
    if (source && h && await registry.detect({ kind: 'file', source }, h)) found.push(join(dir.name, e.name));
  }
  if (found.length === 1) return new UsageError(`'${dir.name}' is a folder; the backup in it is '${found[0]}'`);
  if (found.length > 1) return new UsageError(`'${dir.name}' is a folder holding ${found.length} backups: ${found.map((f) => `'${f}'`).join(', ')}`);
  return new UnsupportedError(`'${dir.name}' is a folder that holds no backup this tool reads (formats: ${known})`);
}
