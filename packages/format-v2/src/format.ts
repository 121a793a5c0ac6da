import {
  CorruptBackupError, MemberCursor, UnsupportedError, UsageError, WrongPassphraseError, collect, parseBackupHeader,
  resolveCompressor,
  type BackupModel, type ByteStream, type Cipher, type Compressor, type FormatContext, type FormatPlugin,
  type InnerArchive, type InnerArchiveInfo, type Mac, type Member, type OpenedBackup, type PluginDescriptor,
  type PluginInfo, type ReadOptions, type Registry,
  skipRestOf, ChunkSequence, nextSelectedFile, chunkOf, fromParts, naming, readChunkPair, verifyChunk, ownersOf, scanDom0Home,
  type HmacChunkContext, type VerifiedChunk,
} from '@qubes-backup/core';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV2Header } from './header.js';

const info: PluginInfo<'format'> = { kind: 'format', name: 'v2', backend: 'portable' };
const QUBES_XML_LIMIT = 64 << 20;
/** Header-less backups used `openssl dgst -hmac` without a digest: its default of the time (spec §4.1). */
const HEADERLESS_DIGESTS = ['md5', 'sha1', 'sha256', 'sha512'];
/** What header-less backups were encrypted with (the only cipher R2 beta3 wrote). */
const HEADERLESS_CIPHER = 'aes-256-cbc';
const SALTED = [0x53, 0x61, 0x6c, 0x74, 0x65, 0x64, 0x5f, 0x5f];

/** Format 2 (Qubes R2 beta3 – rc): HMAC per chunk, each chunk one GNU tar volume encrypted or gzipped on its own. */
export const formatV2: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, version: 2, open: openV2 }),
};

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

async function openV2(ctx: FormatContext): Promise<OpenedBackup> {
  const registry = ctx.registry;
  const cursor = new MemberCursor(ctx.members);
  const first = await cursor.peek();
  if (!first || chunkOf(first.path)?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000 is missing after the backup header', { member: first?.path ?? 'qubes.xml.000' });
  }
  const settings = ctx.header ? fromHeader(ctx, ctx.header) : await headerless(ctx, cursor);
  const chunks: HmacChunkContext = { cursor, mac: settings.mac, passphrase: ctx.passphrase, opts: ctx };

  const xmlFile = new ChunkSequence(chunks, 'qubes.xml', settings.firstChunk);
  const xml = await readInnerFile(registry, volumesOf(xmlFile, settings.decoder, ctx), 'qubes.xml');
  await xmlFile.finish();
  const parsed = parseQubesXml(xml);
  const dom0User = parsed.dom0Home ? undefined : await scanDom0Home(registry, ctx.source);

  const model: BackupModel = {
    version: 2,
    header: settings.header,
    encrypted: settings.encrypted,
    compressed: settings.compressed,
    authenticated: true,
    vms: parsed.vms,
    ...(parsed.dom0Home ? { dom0Home: parsed.dom0Home }
      : dom0User !== undefined ? { dom0Home: { user: dom0User, backupPath: `dom0-home/${dom0User}` } } : {}),
    globals: parsed.globals,
  };
  const owners = ownersOf(model);

  async function* archives(select: (a: InnerArchiveInfo) => boolean, opts?: ReadOptions): AsyncIterable<InnerArchive> {
    const seen = new Set<string>(['qubes.xml']);
    for (;;) {
      const next = await nextSelectedFile(cursor, seen, owners, select);
      if (!next) return;
      const { info: infoOf, owner } = next;
      const file = new ChunkSequence({ ...chunks, opts: opts ?? ctx }, infoOf.path);
      let used = false;
      let failed = false;
      yield {
        ...infoOf,
        prefix: owner.prefix,
        multiVolume: true,
        volumes: () => {
          if (used) throw new UsageError(`the volumes of ${infoOf.path} can be read only once`);
          used = true;
          return failures(volumesOf(file, settings.decoder, opts ?? ctx), () => { failed = true; });
        },
      };
      // Volumes the consumer did not read (it stopped at the end marker) are still authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (failed) await skipRestOf(cursor, infoOf.path);
      else await file.finish();
    }
  }
  return { model, archives };
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

function fromHeader(ctx: FormatContext, bytes: Uint8Array): Settings {
  const fields = parseBackupHeader(bytes);
  const h = validateV2Header(fields);
  const registry = ctx.registry;
  const cipher = h.encrypted ? registry.get('cipher', h.cryptoAlgorithm!) : undefined;
  return {
    header: Object.fromEntries(fields),
    encrypted: h.encrypted,
    compressed: h.compressed,
    mac: registry.get('mac', h.hmacAlgorithm),
    decoder: { cipher, compressor: volumeCompressor(registry, h.encrypted, h.compressed, ctx.forceCompressionFilter), passphrase: ctx.passphrase },
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
async function headerless(ctx: FormatContext, cursor: MemberCursor): Promise<Settings> {
  if (!ctx.legacy) {
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
      await verifyChunk(candidate, pair, ctx.passphrase, ctx);
      mac = candidate;
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_AUTH') throw e;
    }
  }
  if (!mac) {
    throw new WrongPassphraseError(`wrong passphrase (no digest of ${HEADERLESS_DIGESTS.join(', ')} verifies qubes.xml.000.hmac)`, { member: 'qubes.xml.000.hmac' });
  }
  const firstChunk: VerifiedChunk = { name: pair.name, index: 0, parts: pair.parts };
  const head = await firstBytes(fromParts(pair.parts), 8);
  const encrypted = SALTED.every((b, i) => head[i] === b);
  let compressed: boolean;
  let cipher: Cipher | undefined;
  if (encrypted) {
    cipher = registry.get('cipher', HEADERLESS_CIPHER);
    const plain = await firstBytes(naming(cipher.decrypt(fromParts(pair.parts), ctx.passphrase, ctx), () => pair.name), 2);
    compressed = plain.length === 2 && (plain[0]! & 0x0f) === 8 && ((plain[0]! << 8) | plain[1]!) % 31 === 0;
  } else {
    compressed = head[0] === 0x1f && head[1] === 0x8b;
  }
  return {
    header: {},
    encrypted,
    compressed,
    mac,
    decoder: { cipher, compressor: volumeCompressor(registry, encrypted, compressed, ctx.forceCompressionFilter), passphrase: ctx.passphrase },
    firstChunk,
  };
}

/** One plaintext tar volume per stored chunk, each verified before it is decrypted or decompressed. */
async function* volumesOf(file: ChunkSequence, d: VolumeDecoder, opts: ReadOptions): AsyncIterable<ByteStream> {
  for (let c = await file.next(); c; c = await file.next()) {
    let s = fromParts(c.parts);
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

/** The regular file named `name` in the (small, multi-volume) inner tar of qubes.xml. */
async function readInnerFile(registry: Registry, volumes: AsyncIterable<ByteStream>, name: string): Promise<Uint8Array> {
  const tar = registry.get('container', 'tar');
  const members: AsyncIterable<Member> = tar.volumeEntries ? tar.volumeEntries(volumes) : tar.entries(firstOf(volumes));
  let found: Uint8Array | undefined;
  for await (const m of members) {
    if (m.path === name && m.type === 'file' && found === undefined) {
      try {
        found = await collect(m.body(), QUBES_XML_LIMIT, name);
      } catch (e) {
        if (e instanceof RangeError) throw new CorruptBackupError(`${name} is larger than ${QUBES_XML_LIMIT >> 20} MiB`, { member: `${name}.000` });
        throw e;
      }
    }
  }
  if (!found) throw new CorruptBackupError(`the archive does not contain '${name}'`, { member: `${name}.000` });
  return found;
}

async function* firstOf(volumes: AsyncIterable<ByteStream>): ByteStream {
  for await (const v of volumes) { yield* v; return; }
}
