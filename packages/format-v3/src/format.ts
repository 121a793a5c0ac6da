import {
  CorruptBackupError,
  type Archive, type BackupInput, type ByteStream, type Cipher, type Compressor, type FormatContext, type FormatPlugin,
  type OpenedBackup, type PluginDescriptor, type ReadOptions,
} from '@qubes-backup/core';
import {
  COMPRESSION_FILTER_OPTION, qubesFormat, ChunkSequence, IGNORE_SIZE_LIMIT_OPTION, MAX_FILE_SIZE, MemberCursor, capped, chunkOf,
  dom0HomeOf, naming, openQubesTar, ownersOf, passCursors,
  qubesOpened, qubesHead, qubesModel, readInnerFile, validatedHeader, scanDom0Home, selectedFiles, shielded, skipRestOf,
  windowPrints, type HmacChunkContext,
} from '@qubes-backup/qubes-common';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { validateV3Header } from './header.js';


/** A backup header saying `version=3` (authenticated only once opened). */
async function detectV3(input: BackupInput, probe: Parameters<FormatPlugin['detect']>[1]): Promise<boolean> {
  const head = await qubesHead(input, probe);
  return head?.kind === 'header' && head.version === '3';
}

interface Pipeline {
  readonly cipher: Cipher | undefined;
  readonly compressor: Compressor;
  readonly passphrase: Uint8Array;
}

async function openV3(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  const outer = await openQubesTar(input, ctx);
  const { fields, header, settings, compressor } = validatedHeader(outer, ctx, validateV3Header);
  const registry = ctx.registry;
  const cipher = header.encrypted ? registry.get('cipher', header.cryptoAlgorithm!) : undefined;
  const pipeline: Pipeline = { cipher, compressor, passphrase: outer.passphrase };
  const cursor = new MemberCursor(outer.members);
  const prints = windowPrints(registry);
  const chunks: HmacChunkContext = { cursor, mac: registry.get('mac', header.hmacAlgorithm), passphrase: outer.passphrase, opts: ctx, ...(prints ? { prints } : {}) };
  const tar = registry.get('container', 'tar');

  const first = await cursor.peek();
  if (!first || chunkOf(first.path)?.path !== 'qubes.xml') {
    throw new CorruptBackupError('qubes.xml.000 is missing after the backup header', { member: first?.path ?? 'qubes.xml.000' });
  }
  const xmlFile = new ChunkSequence(chunks, 'qubes.xml');
  const xml = await readInnerFile(registry, plaintext(xmlFile, pipeline, ctx), 'qubes.xml', 'qubes.xml.000');
  await xmlFile.finish();
  const parsed = parseQubesXml(xml);
  const dom0Home = parsed.dom0Home ?? dom0HomeOf(await scanDom0Home(registry, outer.source));

  const model = qubesModel('v3', {
    version: 3, header: Object.fromEntries(fields), encrypted: header.encrypted, compressed: header.compressed,
    compressionFilter: header.compressionFilter, authenticated: true,
  }, { ...parsed, dom0Home });
  const owners = ownersOf(model);
  const nextPass = passCursors(cursor, outer.reread, outer.source.name);

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive> {
    const pass = await nextPass(opts);
    for await (const { info: ref, owner, file } of selectedFiles({ ...chunks, cursor: pass, opts: opts ?? ctx }, owners, select)) {
      const plain = shielded(capped(plaintext(file, pipeline, opts ?? ctx), model, owner.vm, ref.path, settings.ignoreSizeLimit));
      yield {
        ...ref, prefix: owner.prefix,
        members: (o) => tar.entries(plain.stream, { maxSize: MAX_FILE_SIZE, ...(o?.signal ? { signal: o.signal } : {}) }),
      };
      // Whatever the consumer left (tar padding, an empty last chunk) is still read and authenticated;
      // after a failure (the consumer has the error) the rest of this file is skipped.
      if (plain.failed) {
        await skipRestOf(pass, ref.path);
      } else {
        await plain.rest();
        await file.finish();
      }
    }
  }
  return qubesOpened(model, archives);
}

/**
 * The inner tar of one stored file: its chunks, each HMAC-verified before it goes on, form one
 * openssl stream (only `.000` starts with `Salted__`; chunk boundaries fall anywhere), which is
 * decrypted as a whole and then decompressed.
 */
function plaintext(file: ChunkSequence, p: Pipeline, opts: ReadOptions): ByteStream {
  let s = file.stream();
  if (p.cipher) s = p.cipher.decrypt(s, p.passphrase, opts);
  return naming(p.compressor.decompress(s, opts), () => file.current);
}

/** Format 3 (Qubes R2 final – R3.2): HMAC per chunk, one openssl stream and one compressed inner tar per stored file. */
export const formatV3: PluginDescriptor<'format'> = qubesFormat('v3', [COMPRESSION_FILTER_OPTION, IGNORE_SIZE_LIMIT_OPTION], detectV3, openV3);
