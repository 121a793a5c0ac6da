import {
  CorruptBackupError, MemberCursor, UsageError, backupSizeLimit, limitBytes, naming, ownersOf, parseBackupHeader,
  parseChunkName, readInnerFile, resolveCompressor, shielded, singleVolume, skipRestOf,
  type BackupModel, type ByteStream, type FormatContext, type FormatPlugin, type InnerArchive, type InnerArchiveInfo,
  type OpenedBackup, type PluginDescriptor, type PluginInfo, type PrefetchContext, type ReadOptions,
} from '@qubes-backup/core';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV4Header } from './header.js';
import { chunkKey, skipStoredFile, storedFile, type StoredFileContext } from './stored-file.js';
import { KeyAhead } from './key-ahead.js';

const info: PluginInfo<'format'> = { kind: 'format', name: 'v4', backend: 'portable' };

/** Format 4 (Qubes R4.x): scrypt per chunk, one compressed inner tar per stored file. */
/**
 * qubes.xml's backup-size is what the VM's files use on disk (volume usage, not apparent size); its
 * inner tars decompress to about that much. Far more is a decompression bomb. (The reference
 * restore limits the extracted bytes to the backup-size sum, with the same `--ignore-size-limit`.)
 */
function capped(stream: ByteStream, model: BackupModel, vm: string, path: string, ignore: boolean | undefined): ByteStream {
  const size = vm === 'dom0' ? model.dom0Home?.backupSize : model.vms.find((v) => v.name === vm)?.backupSize;
  if (ignore || size === undefined || !Number.isFinite(size) || size <= 0) return stream;
  return limitBytes(stream, backupSizeLimit(size), path, `decompressed data far exceeds the VM's backup-size of ${size} bytes ` +
    '(a decompression bomb? --ignore-size-limit restores it anyway)');
}

export const formatV4: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, version: 4, open: openV4, prefetch: prefetchV4 }),
};

/**
 * While the opener checks the header's MAC (one scrypt derivation: ~5 s at the CLI's default logN 20),
 * derive `qubes.xml.000.enc`'s key on another core. The unauthenticated header only supplies the
 * backup-id for that unit's passphrase: a forged one makes the unit's own HMAC fail, and the opener
 * disposes of this anyway when the header does not authenticate.
 */
function prefetchV4(ctx: PrefetchContext): KeyAhead {
  const header = validateV4Header(parseBackupHeader(ctx.header));
  const ahead = new KeyAhead({
    tar: ctx.registry.get('container', 'tar'), cipher: ctx.registry.get('cipher', 'scrypt'), source: ctx.source,
    start: ctx.offset, wanted: (path) => path === 'qubes.xml', maxKeys: 1, alongside: true,
    keyFor: (stem) => chunkKey({ backupId: header.backupId, passphrase: ctx.passphrase }, stem),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  ahead.start();
  return ahead;
}

async function openV4(ctx: FormatContext): Promise<OpenedBackup> {
  // Whatever happens past this point, a key derived early for qubes.xml is used or wiped here.
  const prefetched = ctx.prefetched instanceof KeyAhead ? ctx.prefetched : undefined;
  try {
    return await openWith(ctx, prefetched);
  } finally {
    prefetched?.dispose();
  }
}

async function openWith(ctx: FormatContext, prefetched: KeyAhead | undefined): Promise<OpenedBackup> {
  if (!ctx.header) throw new UsageError('format 4 needs the authenticated backup header');
  const header = validateV4Header(parseBackupHeader(ctx.header));
  const registry = ctx.registry;
  const compressor = resolveCompressor(registry, {
    compressed: header.compressed, filter: header.compressionFilter, forced: ctx.forceCompressionFilter,
  });
  const cursor = new MemberCursor(ctx.members);
  const files: StoredFileContext = {
    cursor, cipher: registry.get('cipher', 'scrypt'), backupId: header.backupId, passphrase: ctx.passphrase, opts: ctx,
  };

  const first = await cursor.peek();
  if (!first || parseChunkName(first.path, '.enc')?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000.enc is missing after the backup header', { member: first?.path ?? 'qubes.xml.000.enc' });
  }
  const chunks = storedFile({ ...files, ...(prefetched ? { ahead: prefetched } : {}) }, 'qubes.xml');
  const xml = await readInnerFile(registry, compressor.decompress(chunks, ctx), 'qubes.xml', 'qubes.xml.000.enc');
  const parsed = parseQubesXml(xml);

  const model: BackupModel = {
    version: 4,
    header: Object.fromEntries(parseBackupHeader(ctx.header)),
    encrypted: true,
    compressed: header.compressed,
    ...(header.compressionFilter !== undefined ? { compressionFilter: header.compressionFilter } : {}),
    authenticated: true,
    vms: parsed.vms,
    ...(parsed.dom0Home ? { dom0Home: parsed.dom0Home } : {}),
    globals: parsed.globals,
  };
  const owners = ownersOf(model);

  async function* archives(select: (a: InnerArchiveInfo) => boolean, opts?: ReadOptions): AsyncIterable<InnerArchive> {
    const seen = new Set<string>(['qubes.xml']);
    const wanted = (path: string) => { const o = owners(path); return o !== undefined && select({ vm: o.vm, path }); };
    const next = await cursor.peek();
    const signal = opts?.signal ?? ctx.signal;
    const ahead = ctx.source?.seekable && next
      ? new KeyAhead({
        tar: registry.get('container', 'tar'), cipher: files.cipher, source: ctx.source, start: next.headerOffset, wanted,
        keyFor: (stem) => chunkKey(files, stem), ...(signal ? { signal } : {}),
      })
      : undefined;
    ahead?.start();
    try {
      yield* decodeArchives(select, { ...files, ...(ahead ? { ahead } : {}), opts: opts ?? ctx }, seen);
    } finally {
      ahead?.dispose();
    }
  }

  async function* decodeArchives(select: (a: InnerArchiveInfo) => boolean, files: StoredFileContext, seen: Set<string>): AsyncIterable<InnerArchive> {
    const opts = files.opts;
    for (;;) {
      const m = await cursor.peek();
      if (!m) return;
      const cn = parseChunkName(m.path, '.enc');
      if (!cn) throw new CorruptBackupError("invalid file extension found in archive (expected '<name>.NNN.enc')", { member: m.path });
      if (seen.has(cn.path)) throw new CorruptBackupError('file stored twice in the backup', { member: m.path });
      seen.add(cn.path);
      const owner = owners(cn.path);
      const infoOf: InnerArchiveInfo = { vm: owner?.vm ?? '', path: cn.path };
      if (!owner || !select(infoOf)) {
        await skipStoredFile(cursor, cn.path);
        continue;
      }
      // Errors past the chunk layer (decompressor, size cap) name the stored file: a missing last chunk
      // shows up as a truncated stream after the chunk before it.
      const chunks = storedFile(files, cn.path);
      const plain = shielded(capped(naming(compressor.decompress(chunks, opts), () => cn.path), model, owner.vm, cn.path, ctx.ignoreSizeLimit));
      yield { ...infoOf, prefix: owner.prefix, volumes: () => singleVolume(plain.stream) };
      // Whatever the consumer left (padding, an empty last chunk) is still read and authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (plain.failed) await skipRestOf(cursor, cn.path);
      else await plain.rest();
    }
  }
  return { model, archives };
}

