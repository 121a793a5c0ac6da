import {
  CorruptBackupError,
  type Archive, type BackupInput, type FormatContext, type FormatPlugin, type OpenedBackup, type PluginDescriptor,
  type ReadOptions,
} from '@qubes-backup/core';
import {
  COMPRESSION_FILTER_OPTION, qubesFormat, IGNORE_SIZE_LIMIT_OPTION, MAX_FILE_SIZE, MemberCursor, capped, passCursors,
  naming, openQubesTar, ownersOf, parseBackupHeader, parseChunkName, qubesHead, qubesModel, qubesOpened,
  readInnerFile, validatedHeader, shielded, skipRestOf, windowPrints,
  type Alongside, type QubesTar,
} from '@qubes-backup/qubes-common';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV4Header } from './header.js';
import { chunkKey, skipStoredFile, storedFile, type StoredFileContext } from './stored-file.js';
import { KeyAhead } from './key-ahead.js';


/**
 * A header saying version 4, or any later or unreadable version: the newest Qubes reader takes
 * those, authenticates the header and then says plainly which version it cannot read.
 */
async function detectV4(input: BackupInput, probe: Parameters<FormatPlugin['detect']>[1]): Promise<boolean> {
  const head = await qubesHead(input, probe);
  if (head?.kind !== 'header' || head.version === undefined) return false;
  return !/^[0-9]+$/.test(head.version) || Number(head.version) >= 4;
}

/**
 * While the header's MAC is checked (one scrypt derivation: ~3 s at the CLI's default logN 20), ask
 * for `qubes.xml.000.enc`'s key: the scrypt scheduler derives it beside the header's where that was
 * measured to pay, right after it otherwise. The unauthenticated header only supplies the
 * backup-id for that unit's passphrase: a forged one makes the unit's own HMAC fail, and the work
 * is disposed of anyway when the header does not authenticate.
 */
function alongside(ctx: FormatContext): Alongside {
  return (bytes, passphrase, source, offset) => {
    if (!ctx.resources) return undefined; // No work ahead asked for.
    const header = validateV4Header(parseBackupHeader(bytes));
    const ahead = new KeyAhead({
      tar: ctx.registry.get('container', 'tar'), cipher: ctx.registry.get('cipher', 'scrypt'), source,
      start: offset, wanted: (path) => path === 'qubes.xml', maxKeys: 1, parallel: 1,
      keyFor: (stem) => chunkKey({ backupId: header.backupId, passphrase }, stem),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    ahead.start();
    return ahead;
  };
}

async function openV4(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  const outer = await openQubesTar(input, ctx, alongside(ctx));
  // Whatever happens past this point, a key derived early for qubes.xml is used or wiped here.
  const early = outer.early instanceof KeyAhead ? outer.early : undefined;
  try {
    return await openWith(ctx, outer, early);
  } finally {
    early?.dispose();
  }
}

async function openWith(ctx: FormatContext, outer: QubesTar, early: KeyAhead | undefined): Promise<OpenedBackup> {
  const { fields, header, settings, compressor } = validatedHeader(outer, ctx, validateV4Header);
  const registry = ctx.registry;
  const tar = registry.get('container', 'tar');
  const cursor = new MemberCursor(outer.members);
  const prints = windowPrints(registry);
  const files: StoredFileContext = {
    cursor, cipher: registry.get('cipher', 'scrypt'), backupId: header.backupId, passphrase: outer.passphrase, opts: ctx,
    ...(ctx.onStatus ? { status: ctx.onStatus } : {}), ...(prints ? { prints } : {}),
  };

  const first = await cursor.peek();
  if (!first || parseChunkName(first.path, '.enc')?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000.enc is missing after the backup header', { member: first?.path ?? 'qubes.xml.000.enc' });
  }
  const chunks = storedFile({ ...files, ...(early ? { ahead: early } : {}) }, 'qubes.xml');
  const xml = await readInnerFile(registry, compressor.decompress(chunks, ctx), 'qubes.xml', 'qubes.xml.000.enc');
  const parsed = parseQubesXml(xml);

  const model = qubesModel('v4', {
    version: 4, header: Object.fromEntries(fields), encrypted: true, compressed: header.compressed,
    compressionFilter: header.compressionFilter, authenticated: true,
  }, parsed);
  const owners = ownersOf(model);
  const nextPass = passCursors(cursor, outer.reread, outer.source.name);

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive> {
    const wanted = (path: string) => { const o = owners(path); return o !== undefined && select({ unit: o.vm, path }); };
    const pass = await nextPass(opts);
    const next = await pass.peek();
    const signal = opts?.signal ?? ctx.signal;
    const ahead = outer.source.seekable && next && ctx.resources
      ? new KeyAhead({
        tar, cipher: files.cipher, source: outer.source, start: next.headerOffset, wanted,
        keyFor: (stem) => chunkKey(files, stem), parallel: ctx.resources.cores,
        ...(signal ? { signal } : {}),
      })
      : undefined;
    ahead?.start();
    try {
      yield* decodeArchives(select, { ...files, cursor: pass, ...(ahead ? { ahead } : {}), opts: opts ?? ctx });
    } finally {
      ahead?.dispose();
    }
  }

  async function* decodeArchives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, files: StoredFileContext): AsyncIterable<Archive> {
    const seen = new Set<string>(['qubes.xml']);
    const { cursor, opts } = files;
    for (;;) {
      const m = await cursor.peek();
      if (!m) return;
      const cn = parseChunkName(m.path, '.enc');
      if (!cn) throw new CorruptBackupError("invalid file extension found in archive (expected '<name>.NNN.enc')", { member: m.path });
      if (seen.has(cn.path)) throw new CorruptBackupError('file stored twice in the backup', { member: m.path });
      seen.add(cn.path);
      const owner = owners(cn.path);
      if (!owner || !select({ unit: owner.vm, path: cn.path })) {
        await skipStoredFile(cursor, cn.path);
        continue;
      }
      // Errors past the chunk layer (decompressor, size cap) name the stored file: a missing last chunk
      // shows up as a truncated stream after the chunk before it.
      const chunks = storedFile(files, cn.path);
      const plain = shielded(capped(naming(compressor.decompress(chunks, opts), () => cn.path), model, owner.vm, cn.path, settings.ignoreSizeLimit));
      yield {
        unit: owner.vm, path: cn.path, prefix: owner.prefix,
        members: (o) => tar.entries(plain.stream, { maxSize: MAX_FILE_SIZE, ...(o?.signal ? { signal: o.signal } : {}) }),
      };
      // Whatever the consumer left (padding, an empty last chunk) is still read and authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (plain.failed) await skipRestOf(cursor, cn.path);
      else await plain.rest();
    }
  }

  return qubesOpened(model, archives);
}

/** Format 4 (Qubes R4.x): scrypt per chunk, one compressed inner tar per stored file. */
export const formatV4: PluginDescriptor<'format'> = qubesFormat('v4', [COMPRESSION_FILTER_OPTION, IGNORE_SIZE_LIMIT_OPTION], detectV4, openV4);
