import {
  CorruptBackupError, UsageError, WrongPassphraseError, collect, concatBytes, isQubesBackupError, once, utf8, withMember,
  type BackupInput, type ByteSource, type FormatContext, type Member, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { assertSafeStoredName } from './stored-name.js';
import { parseBackupHeader } from './backup-header.js';
import { resolveCompressor } from './compression-filter.js';
import { qubesSettings } from './options.js';

const HEADER_LIMIT = 1 << 20;
/** A header member's bytes, at most HEADER_LIMIT: a larger one is a corrupt backup, named (collect's RangeError would be untyped). */
async function headerBytes(m: Member): Promise<Uint8Array> {
  try {
    return await collect(m.body(), HEADER_LIMIT, m.path);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new CorruptBackupError(`'${m.path}' is larger than ${HEADER_LIMIT} bytes: not a Qubes backup header`, { member: m.path });
  }
}

/** Header-less format 2 (R2 beta 3) starts with qubes.xml; nothing precedes it (spec §4.1). */
export const HEADERLESS_FIRST = 'qubes.xml.000';

/** What the first bytes of a file say about it, before anything is authenticated. */
export type QubesHead =
  | { readonly kind: 'header'; readonly version: string | undefined }
  | { readonly kind: 'headerless' };

/**
 * Recognizes the outer tar of a Qubes backup from its first bytes: the first member is
 * `backup-header` (formats 2–4; its `version=` line, unauthenticated, says which) or
 * `qubes.xml.000` (header-less format 2). Undefined for anything else. Never throws.
 */
export async function qubesHead(input: BackupInput, probe: { readonly head?: Uint8Array; readonly registry: Registry }): Promise<QubesHead | undefined> {
  if (input.kind !== 'file' || !probe.head || !probe.registry.has('container', 'tar')) return undefined;
  try {
    for await (const m of probe.registry.get('container', 'tar').entries(once(probe.head), { ignoreZeros: true })) {
      if (m.type !== 'file') continue;
      if (m.path === HEADERLESS_FIRST) return { kind: 'headerless' };
      if (m.path !== 'backup-header') return undefined;
      // A header cut short still names a Qubes backup: its version is then unknown ('').
      const body = await collect(m.body(), 4096, 'backup-header').catch(() => undefined);
      if (!body) return { kind: 'header', version: '' };
      const text = new TextDecoder('latin1').decode(body);
      const line = text.split(/\r\n|\r|\n/).map((l) => l.trim()).find((l) => l.startsWith('version='));
      return { kind: 'header', version: line?.slice('version='.length) };
    }
  } catch {
    // A head cut inside the first member, or not a tar at all: not ours to claim.
  }
  return undefined;
}

/** The outer archive of a Qubes backup, opened: its header (authenticated) and the members after it. */
export interface QubesTar {
  readonly source: ByteSource;
  /** `backup-header`, authenticated by `headerMac`; undefined for header-less format 2. */
  readonly header?: Uint8Array;
  /** The MAC that verified the header (`scrypt`, `sha512`, ...). */
  readonly headerMac?: string;
  /** Offset of `backup-header.hmac`'s first header byte (the format's own members follow it). */
  readonly headerEnd?: number;
  /** The members after the header pair (from `qubes.xml.000` on for header-less backups); names checked. */
  readonly members: AsyncIterator<Member>;
  /**
   * A seekable source's members again from its start, names checked (for another pass over its
   * stored files; a member whose data is not read costs its header only). Absent for a stream.
   */
  readonly reread?: (opts?: ReadOptions) => AsyncIterator<Member>;
  readonly passphrase: Uint8Array;
}

/**
 * Work a format may start while the header's MAC is checked, from the header as read (NOT yet
 * authenticated): it is disposed unless the header authenticates, and nothing it yields may be
 * trusted unless it authenticates by itself (format 4 derives qubes.xml's scrypt key this way).
 */
export type Alongside = (header: Uint8Array, passphrase: Uint8Array, source: ByteSource, offset: number) => { dispose(): void } | undefined;

/**
 * Opens the outer tar as the reference restore does (spec §1.1, §4.3): `backup-header` and
 * `backup-header.hmac` first; the header is authenticated by trying scrypt (key
 * `backup-header!<pass>`) and then every registered HMAC digest (key `<pass>`) before a byte of it is
 * trusted. The passphrase is asked for only once the input is known to be a Qubes backup.
 */
export async function openQubesTar(input: BackupInput, ctx: FormatContext, alongside?: Alongside): Promise<QubesTar & { early?: { dispose(): void } }> {
  if (input.kind !== 'file') throw new UsageError('a Qubes backup of formats 2-4 is one file, not a folder');
  const source = input.source;
  const tar = ctx.registry.get('container', 'tar');
  // Every member is its own `tar -c` output (spec §2.1): a file cut between two of them is truncated.
  const outerMembers = (signal: AbortSignal | undefined) => safeNames(tar.entries(source, { ignoreZeros: true, appendedArchives: true, ...(signal ? { signal } : {}) })[Symbol.asyncIterator]());
  const members = outerMembers(ctx.signal);
  const reread = source.seekable ? { reread: (opts?: ReadOptions) => outerMembers(opts?.signal ?? ctx.signal) } : {};
  const first = await nextFile(members);
  if (!first) throw new CorruptBackupError(`${source.name} is empty or not a tar archive`);
  if (first.path !== HEADERLESS_FIRST && first.path !== 'backup-header') {
    throw new CorruptBackupError(`not a Qubes backup: the first member is '${first.path}', expected 'backup-header'`);
  }
  const passphrase = await ctx.passphrase();
  if (first.path === HEADERLESS_FIRST) return { source, members: prepend(first, members), ...reread, passphrase };
  const header = await headerBytes(first);
  const second = await nextFile(members);
  if (!second || second.path !== 'backup-header.hmac') {
    throw new CorruptBackupError("'backup-header.hmac' must follow 'backup-header'", { member: second?.path ?? 'backup-header.hmac' });
  }
  const tag = await headerBytes(second);
  let early: { dispose(): void } | undefined;
  try {
    early = source.seekable ? alongside?.(header, passphrase, source, second.headerOffset) : undefined;
  } catch {
    early = undefined; // The header is unauthenticated here: its real error comes from authentication.
  }
  let headerMac: string;
  try {
    const checking = (cost?: string) => ctx.onStatus?.(`checking the passphrase against the backup header${cost ? ` (${cost})` : ''}`);
    checking();
    // The MAC tells what its key derivation costs (format 4: scrypt's memory and time).
    headerMac = await authenticateHeader(ctx.registry, header, tag, passphrase, { ...ctx, onStatus: (cost) => { if (cost) checking(cost); } });
  } catch (e) {
    early?.dispose();
    throw e;
  } finally {
    ctx.onStatus?.(undefined);
  }
  return { source, header, headerMac, headerEnd: second.headerOffset, members, ...reread, passphrase, ...(early ? { early } : {}) };
}

/** Returns the name of the MAC that verified the header; WrongPassphraseError when none does. */
export async function authenticateHeader(
  registry: Registry, header: Uint8Array, tag: Uint8Array, passphrase: Uint8Array, opts?: ReadOptions,
): Promise<string> {
  const macs = registry.list('mac');
  const names = [...new Set(macs.map((m) => m.name.toLowerCase()))].sort((a, b) => (a === 'scrypt' ? -1 : b === 'scrypt' ? 1 : 0));
  let unsupported: unknown;
  for (const name of names) {
    const key = name === 'scrypt' ? concatBytes([utf8.encode('backup-header!'), passphrase]) : passphrase;
    try {
      await registry.get('mac', name).verify(once(header), tag, key, opts);
      return name;
    } catch (e) {
      if (!isQubesBackupError(e) || e.code === 'E_IO' || e.code === 'E_USAGE') throw e;
      // A MAC that could not be checked here (scrypt parameters beyond this machine's memory) is
      // said as such if no other verifies: "wrong passphrase" would send the user the wrong way.
      if (e.code === 'E_UNSUPPORTED') unsupported ??= e;
      // Not this algorithm (or not this passphrase): try the next, as the reference does.
    }
  }
  if (unsupported !== undefined) throw withMember(unsupported, 'backup-header.hmac');
  throw new WrongPassphraseError('wrong passphrase (header HMAC does not verify)', { member: 'backup-header.hmac' });
}

/** The next regular-file member; outer archives hold only files, anything else is skipped. */
async function nextFile(it: AsyncIterator<Member>): Promise<Member | undefined> {
  for (;;) {
    const r = await it.next();
    if (r.done) return undefined;
    if (r.value.type === 'file') return r.value;
  }
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

function prepend(first: Member, rest: AsyncIterator<Member>): AsyncIterator<Member> {
  let given = false;
  return { next: async () => (given ? rest.next() : ((given = true), { done: false, value: first })) };
}

/**
 * The authenticated header, checked by the format's own rules (`validate`), with the decoder it
 * names (or the one the user forced with `--compression-filter`) and the Qubes options' values.
 */
export function validatedHeader<H extends { readonly compressed: boolean; readonly compressionFilter: string | undefined }>(
  outer: QubesTar, ctx: FormatContext, validate: (fields: Map<string, string>) => H,
) {
  if (!outer.header) throw new CorruptBackupError("no 'backup-header' (the backup starts with qubes.xml.000): only format 2 backups have none", { member: 'backup-header' });
  const fields = parseBackupHeader(outer.header);
  const header = validate(fields);
  const settings = qubesSettings(ctx);
  const compressor = resolveCompressor(ctx.registry, { compressed: header.compressed, filter: header.compressionFilter, forced: settings.forcedFilter });
  return { fields, header, settings, compressor };
}
