import {
  CorruptBackupError, UnsupportedError, WrongPassphraseError,
  type Archive, type BackupInput, type ByteStream, type Cipher, type Compressor, type FormatContext, type FormatPlugin,
  type Mac, type OpenedBackup, type PluginDescriptor, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import {
  COMPRESSION_FILTER_OPTION, qubesFormat, ChunkSequence, MAX_FILE_SIZE, MemberCursor, chunkOf, dom0HomeOf, fromParts,
  innerFile, naming, openQubesTar, ownersOf, parseBackupHeader, passCursors, qubesHead, qubesOpened,
  qubesModel, qubesSettings, readChunkPair, resolveCompressor, scanDom0Home, selectedFiles, skipRestOf, verifyChunk,
  windowPrints, type HmacChunkContext, type VerifiedChunk,
} from '@qubes-backup/qubes-common';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV2Header } from './header.js';

/** `--legacy`: the one risk a user must accept by name. */
const LEGACY_OPTION = {
  name: 'legacy',
  description: 'Qubes backups: accept header-less format 2 backups (Qubes R2 beta 3), whose header cannot be authenticated',
} as const;


/** Header-less backups used `openssl dgst -hmac` without a digest: its default of the time (spec §4.1). */
const HEADERLESS_DIGESTS = ['md5', 'sha1', 'sha256', 'sha512'];
/** What header-less backups were encrypted with (the only cipher R2 beta3 wrote). */
const HEADERLESS_CIPHER = 'aes-256-cbc';
const SALTED = [0x53, 0x61, 0x6c, 0x74, 0x65, 0x64, 0x5f, 0x5f];


/** A backup header without a `version` line (A32's rule), or a backup that starts with qubes.xml (no header). */
async function detectV2(input: BackupInput, probe: Parameters<FormatPlugin['detect']>[1]): Promise<boolean> {
  const head = await qubesHead(input, probe);
  return head?.kind === 'headerless' || (head?.kind === 'header' && (head.version === undefined || head.version === '2'));
}

/** How one stored chunk becomes one plaintext tar volume. */
interface VolumeDecoder {
  readonly cipher: Cipher | undefined;
  /** After decryption (`openssl enc -z`: zlib) or instead of it (gzip per volume); undefined: raw. */
  readonly compressor: Compressor | undefined;
  readonly passphrase: Uint8Array;
}

interface Settings {
  readonly header: Record<string, string>;
  readonly encrypted: boolean;
  readonly compressed: boolean;
  readonly mac: Mac;
  readonly decoder: VolumeDecoder;
  /** Chunk `qubes.xml.000`, already verified (header-less backups only). */
  readonly firstChunk?: VerifiedChunk;
}

async function openV2(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  const registry = ctx.registry;
  const outer = await openQubesTar(input, ctx);
  const cursor = new MemberCursor(outer.members);
  const first = await cursor.peek();
  if (!first || chunkOf(first.path)?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000 is missing after the backup header', { member: first?.path ?? 'qubes.xml.000' });
  }
  const settings = outer.header ? fromHeader(ctx, outer.header, outer.passphrase) : await headerless(ctx, cursor, outer.passphrase);
  const prints = windowPrints(registry);
  const chunks: HmacChunkContext = { cursor, mac: settings.mac, passphrase: outer.passphrase, opts: ctx, ...(prints ? { prints } : {}) };
  const tar = registry.get('container', 'tar');
  const volumeMembers = (volumes: AsyncIterable<ByteStream>, opts?: ReadOptions) => {
    const o = { maxSize: MAX_FILE_SIZE, ...(opts?.signal ? { signal: opts.signal } : {}) };
    return tar.volumeEntries ? tar.volumeEntries(volumes, o) : tar.entries(firstOf(volumes), o);
  };

  const xmlFile = new ChunkSequence(chunks, 'qubes.xml', settings.firstChunk);
  const xml = await innerFile(volumeMembers(volumesOf(xmlFile, settings.decoder, ctx), ctx), 'qubes.xml', 'qubes.xml.000');
  await xmlFile.finish();
  const parsed = parseQubesXml(xml);
  const dom0Home = parsed.dom0Home ?? dom0HomeOf(await scanDom0Home(registry, outer.source));

  const model = qubesModel('v2', {
    version: 2, header: settings.header, encrypted: settings.encrypted, compressed: settings.compressed, authenticated: true,
  }, { ...parsed, dom0Home });
  const owners = ownersOf(model);
  const nextPass = passCursors(cursor, outer.reread, outer.source.name);

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive> {
    const pass = await nextPass(opts);
    for await (const { info: ref, owner, file } of selectedFiles({ ...chunks, cursor: pass, opts: opts ?? ctx }, owners, select)) {
      let used = false;
      let failed = false;
      yield {
        ...ref,
        prefix: owner.prefix,
        members: (o) => {
          if (used) throw new CorruptBackupError('the volumes of a stored file can be read only once', { member: ref.path });
          used = true;
          return volumeMembers(failures(volumesOf(file, settings.decoder, opts ?? ctx), () => { failed = true; }), o);
        },
      };
      // Volumes the consumer did not read (it stopped at the end marker) are still authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (failed) await skipRestOf(pass, ref.path);
      else await file.finish();
    }
  }
  return qubesOpened(model, archives);
}

/** Notes when any volume's stream throws (to its consumer). */
async function* failures(volumes: AsyncIterable<ByteStream>, onFail: () => void): AsyncIterable<ByteStream> {
  try {
    for await (const v of volumes) yield noting(v, onFail);
  } catch (e) {
    onFail();
    throw e;
  }
}

async function* noting(stream: ByteStream, onFail: () => void): ByteStream {
  try {
    yield* stream;
  } catch (e) {
    onFail();
    throw e;
  }
}

function fromHeader(ctx: FormatContext, bytes: Uint8Array, passphrase: Uint8Array): Settings {
  const fields = parseBackupHeader(bytes);
  const h = validateV2Header(fields);
  const registry = ctx.registry;
  const cipher = h.encrypted ? registry.get('cipher', h.cryptoAlgorithm!) : undefined;
  return {
    header: Object.fromEntries(fields),
    encrypted: h.encrypted,
    compressed: h.compressed,
    mac: registry.get('mac', h.hmacAlgorithm),
    decoder: { cipher, compressor: volumeCompressor(registry, h.encrypted, h.compressed, qubesSettings(ctx).forcedFilter), passphrase },
  };
}

/**
 * The per-volume decompressor: gzip for compressed unencrypted backups; zlib inside
 * `openssl enc -z` for compressed encrypted ones (R2 beta3); none otherwise.
 */
function volumeCompressor(registry: Registry, encrypted: boolean, compressed: boolean, forced: string | undefined): Compressor | undefined {
  if (forced !== undefined) return registry.get('compressor', forced);
  if (!compressed) return undefined;
  if (!encrypted) return resolveCompressor(registry, { compressed: true, filter: 'gzip' });
  if (!registry.has('compressor', 'zlib')) {
    throw new UnsupportedError(
      'this format 2 backup is compressed inside openssl enc -z (zlib), and no zlib decoder is registered',
      { member: 'backup-header' },
    );
  }
  return registry.get('compressor', 'zlib');
}

/**
 * Header-less format 2 (R2 beta3, before 2014-01-15): nothing says which digest, cipher or
 * compression was used. The digest is the one that verifies `qubes.xml.000.hmac`; encryption and
 * compression are read from the verified chunk's first bytes (`Salted__`, gzip or zlib magic).
 */
async function headerless(ctx: FormatContext, cursor: MemberCursor, passphrase: Uint8Array): Promise<Settings> {
  if (ctx.settings.legacy !== true) {
    throw new UnsupportedError('header-less format 2 backup: its header cannot be authenticated; rerun with --legacy to restore it', { member: 'qubes.xml.000' });
  }
  const registry = ctx.registry;
  const m = (await cursor.take())!;
  if (chunkOf(m.path)?.index !== 0) throw new CorruptBackupError('the backup must start with qubes.xml.000', { member: m.path });
  const pair = await readChunkPair({ cursor, opts: ctx }, m);
  let mac: Mac | undefined;
  for (const d of HEADERLESS_DIGESTS.filter((n) => registry.has('mac', n))) {
    const candidate = registry.get('mac', d);
    try {
      await verifyChunk(candidate, pair, passphrase, ctx);
      mac = candidate;
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_AUTH') throw e;
    }
  }
  if (!mac) {
    throw new WrongPassphraseError(`wrong passphrase (no digest of ${HEADERLESS_DIGESTS.join(', ')} verifies qubes.xml.000.hmac)`, { member: 'qubes.xml.000.hmac' });
  }
  const firstChunk: VerifiedChunk = { name: pair.name, index: 0, bytes: () => fromParts(pair.parts) };
  const head = await firstBytes(fromParts(pair.parts), 8);
  const encrypted = SALTED.every((b, i) => head[i] === b);
  let compressed: boolean;
  let cipher: Cipher | undefined;
  if (encrypted) {
    cipher = registry.get('cipher', HEADERLESS_CIPHER);
    const plain = await firstBytes(naming(cipher.decrypt(fromParts(pair.parts), passphrase, ctx), () => pair.name), 2);
    compressed = plain.length === 2 && (plain[0]! & 0x0f) === 8 && ((plain[0]! << 8) | plain[1]!) % 31 === 0;
  } else {
    compressed = head[0] === 0x1f && head[1] === 0x8b;
  }
  return {
    header: {},
    encrypted,
    compressed,
    mac,
    decoder: { cipher, compressor: volumeCompressor(registry, encrypted, compressed, qubesSettings(ctx).forcedFilter), passphrase },
    firstChunk,
  };
}

/** One plaintext tar volume per stored chunk, each verified before it is decrypted or decompressed. */
async function* volumesOf(file: ChunkSequence, d: VolumeDecoder, opts: ReadOptions): AsyncIterable<ByteStream> {
  for (let c = await file.next(); c; c = await file.next()) {
    let s = c.bytes();
    if (d.cipher) s = d.cipher.decrypt(s, d.passphrase, opts);
    if (d.compressor) s = d.compressor.decompress(s, opts);
    const name = c.name;
    yield naming(s, () => name);
  }
}

async function firstBytes(stream: ByteStream, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  for await (const c of stream) {
    const k = Math.min(n - got, c.length);
    out.set(c.subarray(0, k), got);
    got += k;
    if (got === n) break;
  }
  return out.subarray(0, got);
}

async function* firstOf(volumes: AsyncIterable<ByteStream>): ByteStream {
  for await (const v of volumes) { yield* v; return; }
}

/** Format 2 (Qubes R2 beta3 – rc): HMAC per chunk, each chunk one GNU tar volume encrypted or gzipped on its own. */
export const formatV2: PluginDescriptor<'format'> = qubesFormat('v2', [COMPRESSION_FILTER_OPTION, LEGACY_OPTION], detectV2, openV2);
