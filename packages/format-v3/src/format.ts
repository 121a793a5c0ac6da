import {
  CorruptBackupError, MemberCursor, UsageError, parseBackupHeader, resolveCompressor, shielded,
  type BackupModel, type ByteStream, type Cipher, type Compressor, type FormatContext, type FormatPlugin,
  type InnerArchive, type InnerArchiveInfo, type OpenedBackup, type PluginDescriptor, type PluginInfo,
  type ReadOptions,
  ChunkSequence, nextSelectedFile, chunkOf, naming, ownersOf, scanDom0Home, readInnerFile, singleVolume, skipRestOf,
  limitBytes, backupSizeLimit,
  type HmacChunkContext,
} from '@qubes-backup/core';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV3Header } from './header.js';

const info: PluginInfo<'format'> = { kind: 'format', name: 'v3', backend: 'portable' };

/** Format 3 (Qubes R2 final – R3.2): HMAC per chunk, one openssl stream and one compressed inner tar per stored file. */
export const formatV3: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, version: 3, open: openV3 }),
};

interface Pipeline {
  readonly cipher: Cipher | undefined;
  readonly compressor: Compressor;
  readonly passphrase: Uint8Array;
}

async function openV3(ctx: FormatContext): Promise<OpenedBackup> {
  if (!ctx.header) throw new UsageError('format 3 needs the authenticated backup header');
  const fields = parseBackupHeader(ctx.header);
  const header = validateV3Header(fields);
  const registry = ctx.registry;
  const compressor = resolveCompressor(registry, {
    compressed: header.compressed, filter: header.compressionFilter, forced: ctx.forceCompressionFilter,
  });
  const cipher = header.encrypted ? registry.get('cipher', header.cryptoAlgorithm!) : undefined;
  const pipeline: Pipeline = { cipher, compressor, passphrase: ctx.passphrase };
  const cursor = new MemberCursor(ctx.members);
  const chunks: HmacChunkContext = { cursor, mac: registry.get('mac', header.hmacAlgorithm), passphrase: ctx.passphrase, opts: ctx };

  const first = await cursor.peek();
  if (!first || chunkOf(first.path)?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000 is missing after the backup header', { member: first?.path ?? 'qubes.xml.000' });
  }
  const xmlFile = new ChunkSequence(chunks, 'qubes.xml');
  const xml = await readInnerFile(registry, plaintext(xmlFile, pipeline, ctx), 'qubes.xml', 'qubes.xml.000');
  await xmlFile.finish();
  const parsed = parseQubesXml(xml);
  const dom0User = parsed.dom0Home ? undefined : await scanDom0Home(registry, ctx.source);

  const model: BackupModel = {
    version: 3,
    header: Object.fromEntries(fields),
    encrypted: header.encrypted,
    compressed: header.compressed,
    ...(header.compressionFilter !== undefined ? { compressionFilter: header.compressionFilter } : {}),
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
      const plain = shielded(capped(plaintext(file, pipeline, opts ?? ctx), model, owner.vm, infoOf.path, ctx.ignoreSizeLimit));
      yield { ...infoOf, prefix: owner.prefix, volumes: () => singleVolume(plain.stream) };
      // Whatever the consumer left (tar padding, an empty last chunk) is still read and authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (plain.failed) {
        await skipRestOf(cursor, infoOf.path);
      } else {
        await plain.rest();
        await file.finish();
      }
    }
  }
  return { model, archives };
}

/**
 * The inner tar of one stored file: its chunks, each HMAC-verified before it goes on, form one
 * openssl stream (only `.000` starts with `Salted__`; chunk boundaries fall anywhere), which is
 * decrypted as a whole and then decompressed.
 */
/** Decompressed data far beyond the VM's backup_size (its disk usage, `du`) is a decompression bomb. */
function capped(stream: ByteStream, model: BackupModel, vm: string, path: string, ignore: boolean | undefined): ByteStream {
  const size = vm === 'dom0' ? model.dom0Home?.backupSize : model.vms.find((v) => v.name === vm)?.backupSize;
  if (ignore || size === undefined || !Number.isFinite(size) || size <= 0) return stream;
  return limitBytes(stream, backupSizeLimit(size), path, `decompressed data far exceeds the VM's backup_size of ${size} bytes ` +
    '(a decompression bomb? --ignore-size-limit restores it anyway)');
}

function plaintext(file: ChunkSequence, p: Pipeline, opts: ReadOptions): ByteStream {
  let s = file.stream();
  if (p.cipher) s = p.cipher.decrypt(s, p.passphrase, opts);
  return naming(p.compressor.decompress(s, opts), () => file.current);
}
