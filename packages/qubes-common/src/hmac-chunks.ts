import {
  AuthenticationError, CorruptBackupError, concatBytes, withMember,
  type Archive, type ByteStream, type Mac, type Member, type ReadOptions,
} from '@qubes-backup/core';
import type { MemberCursor } from './member-cursor.js';
import { checkedAgain, noted, type Fingerprint } from './read-twice.js';
import { parseChunkName } from './stored-name.js';
import type { Owner } from './stored-path-owners.js';

/** Largest stored chunk accepted: qvm-backup cuts at 100 MiB; a chunk may be buffered until its HMAC verifies. */
export const MAX_CHUNK_SIZE = 128 << 20;
/** Chunks of a local file smaller than this are held rather than read twice: holding them costs little. */
const READ_TWICE_MIN = 1 << 20;
/** The reference refuses bigger `.hmac` files (spec §2.2). */
export const MAX_HMAC_SIZE = 4096;
const PIECE = 1 << 20;
const EMPTY = new Uint8Array(0);

export interface HmacChunkContext {
  readonly cursor: MemberCursor;
  /** The header's `hmac-algorithm`. */
  readonly mac: Mac;
  /** The HMAC key: the raw passphrase (spec §4.1). */
  readonly passphrase: Uint8Array;
  readonly opts?: ReadOptions;
  /**
   * A fresh keyed fingerprint per chunk (see `windowPrints`): given one, a chunk of a local file
   * (`Member.reread`) is read twice instead of held until its HMAC verifies.
   */
  readonly prints?: () => Fingerprint;
}

/** One stored chunk whose HMAC verified. */
export interface VerifiedChunk {
  /** The stored name, `vm5/private.img.000`. */
  readonly name: string;
  readonly index: number;
  /** Its verified bytes, in pieces of at most 1 MiB; to be read once. */
  readonly bytes: () => ByteStream;
}

/** The `<path>.NNN` chunk name of a member, or undefined for `.hmac` files and other names. */
export function chunkOf(name: string): { path: string; index: number } | undefined {
  if (name.endsWith('.hmac')) return undefined;
  const cn = parseChunkName(name, '');
  return cn && { path: cn.path, index: cn.index };
}

/** A stored chunk and the text of its `.hmac`, read but not yet verified. */
export interface ChunkPair {
  readonly name: string;
  readonly hmacName: string;
  readonly parts: readonly Uint8Array[];
  readonly tag: Uint8Array;
}

/**
 * Reads the data member `m` (already taken from the cursor), bounded, and the `.hmac` that must
 * follow it. Nothing is verified yet: see `verifyChunk`.
 */
export async function readChunkPair(ctx: Pick<HmacChunkContext, 'cursor' | 'opts'>, m: Member): Promise<ChunkPair> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of m.body(ctx.opts)) {
    size += c.length;
    if (size > MAX_CHUNK_SIZE) throw tooLarge(m);
    parts.push(c);
  }
  return { name: m.path, parts, ...await readTag(ctx, m) };
}

/** The `.hmac` member that must follow chunk `m` (over a seekable source, the body of `m` is skipped by seeking). */
async function readTag(ctx: Pick<HmacChunkContext, 'cursor' | 'opts'>, m: Member): Promise<{ hmacName: string; tag: Uint8Array }> {
  const h = await ctx.cursor.take();
  if (!h || h.path !== `${m.path}.hmac`) {
    throw new CorruptBackupError(`expected hmac for ${m.path}, but got ${h?.path ?? 'the end of the archive'}`, { member: h?.path ?? m.path });
  }
  const tagParts: Uint8Array[] = [];
  let tagSize = 0;
  for await (const c of h.body(ctx.opts)) {
    tagSize += c.length;
    if (tagSize > MAX_HMAC_SIZE) throw new CorruptBackupError(`hmac file is larger than ${MAX_HMAC_SIZE} bytes`, { member: h.path });
    tagParts.push(c);
  }
  return { hmacName: h.path, tag: concatBytes(tagParts) };
}

function tooLarge(m: Member): CorruptBackupError {
  return new CorruptBackupError(`chunk is larger than ${MAX_CHUNK_SIZE >> 20} MiB (qvm-backup writes at most 100 MiB)`, { member: m.path });
}

/**
 * Verifies a chunk's HMAC (key: the passphrase) over its stored bytes. A tag that does not parse
 * is as much a modified `.hmac` as one that does not match: both are AuthenticationError.
 */
export function verifyChunk(mac: Mac, pair: ChunkPair, passphrase: Uint8Array, opts?: ReadOptions): Promise<void> {
  return verifyBytes(mac, fromParts(pair.parts), pair, passphrase, opts);
}

async function verifyBytes(
  mac: Mac, data: ByteStream, pair: Pick<ChunkPair, 'name' | 'hmacName' | 'tag'>, passphrase: Uint8Array, opts?: ReadOptions,
): Promise<void> {
  try {
    await mac.verify(data, pair.tag, passphrase, opts);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'E_AUTH' || code === 'E_CORRUPT' || code === 'E_PASSPHRASE') {
      throw new AuthenticationError(
        `HMAC (${mac.info.name}) does not verify against ${pair.hmacName}: the chunk or its .hmac was modified`,
        { member: pair.name, cause: e },
      );
    }
    throw withMember(e, pair.name);
  }
}

/**
 * Reads a chunk and its `.hmac` and verifies it before its bytes can be read: nothing downstream
 * (cipher, decompressor, tar) ever sees an unauthenticated byte. A chunk of a local file is read
 * twice (see `readTwice`); any other is held until it verified.
 */
async function readVerifiedChunk(ctx: HmacChunkContext, m: Member): Promise<() => ByteStream> {
  if (m.reread && ctx.prints && m.size >= READ_TWICE_MIN) return readTwice(ctx, m, m.reread.bind(m), ctx.prints());
  const pair = await readChunkPair(ctx, m);
  await verifyChunk(ctx.mac, pair, ctx.passphrase, ctx.opts);
  return () => handedOn(pair.parts as Uint8Array[]);
}

/**
 * A chunk of a local file read twice instead of held: its `.hmac` first (the outer tar seeks past
 * the chunk), then a read that feeds the HMAC and notes a keyed fingerprint of each window, and only
 * once the HMAC verified, the read that passes the bytes on, each window checked against its
 * fingerprint. Memory: a window, not the chunk (up to 100 MiB).
 */
async function readTwice(ctx: HmacChunkContext, m: Member, reread: (opts?: ReadOptions) => ByteStream, fingerprint: Fingerprint): Promise<() => ByteStream> {
  if (m.size > MAX_CHUNK_SIZE) throw tooLarge(m);
  const pair = { name: m.path, ...await readTag(ctx, m) };
  // Progress was told as the outer tar went past the chunk: the two reads tell none.
  const only = ctx.opts?.signal ? { signal: ctx.opts.signal } : {};
  const prints: Uint8Array[] = [];
  await verifyBytes(ctx.mac, noted(reread(only), prints, fingerprint), pair, ctx.passphrase, ctx.opts);
  const changed = () => new AuthenticationError('chunk read again gave other bytes than the ones its HMAC verified (changed while being read)', { member: m.path });
  return () => checkedAgain(reread(only), prints, fingerprint, changed);
}

/** Held parts as pieces of at most 1 MiB, each part dropped once handed on (not the whole chunk at the end). */
async function* handedOn(parts: Uint8Array[]): ByteStream {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    parts[i] = EMPTY;
    yield* fromParts([p]);
  }
}

/**
 * The verified chunks of one stored file, `<path>.000`, `.001`, … in numeric order, each read and
 * authenticated only when asked for (one chunk in memory at a time). Ends when the next member
 * belongs to another file; a gap or a restart of the sequence is an error. A consumer that stops
 * early (a decoder at its end marker) leaves the rest to `finish()`, so every chunk is still read
 * and authenticated.
 */
export class ChunkSequence {
  private expected = 0;
  private ended = false;
  /** The name of the chunk read last (for messages about the bytes it carried). */
  current: string;

  /** `first`: chunk `.000`, when the caller already read and verified it. */
  constructor(private readonly ctx: HmacChunkContext, readonly path: string, private first?: VerifiedChunk) {
    this.current = `${path}.000`;
  }

  async next(): Promise<VerifiedChunk | undefined> {
    if (this.ended) return undefined;
    if (this.first) {
      const c = this.first;
      this.first = undefined;
      this.expected = c.index + 1;
      return c;
    }
    const m = await this.ctx.cursor.peek();
    const cn = m && chunkOf(m.path);
    if (!m || !cn || cn.path !== this.path) {
      if (this.expected === 0) throw new CorruptBackupError(`missing chunk ${this.path}.000`, { member: m?.path ?? this.path });
      this.ended = true;
      return undefined;
    }
    if (cn.index !== this.expected) {
      throw new CorruptBackupError(
        `unexpected chunk, expected ${this.path}.${String(this.expected).padStart(3, '0')} (missing, duplicated or reordered chunk)`,
        { member: m.path },
      );
    }
    await this.ctx.cursor.take();
    this.current = m.path;
    const bytes = await readVerifiedChunk(this.ctx, m);
    this.expected++;
    return { name: m.path, index: cn.index, bytes };
  }

  /** The verified stored bytes, chunk after chunk. Closing it early does not end the sequence. */
  async *stream(): ByteStream {
    for (;;) {
      const c = await this.next();
      if (!c) return;
      yield* c.bytes();
    }
  }

  /** Reads and authenticates whatever chunks the consumer left. */
  async finish(): Promise<void> {
    while (await this.next()) { /* verified and dropped */ }
  }
}

/** Reads past every chunk of `path` and its `.hmac` without reading the bodies (an unselected file). */
export async function skipChunks(cursor: MemberCursor, path: string): Promise<void> {
  for (;;) {
    const m = await cursor.peek();
    const cn = m && chunkOf(m.path);
    if (!m || !cn || cn.path !== path) return;
    await cursor.take();
    const h = await cursor.take();
    if (!h || h.path !== `${m.path}.hmac`) {
      throw new CorruptBackupError(`expected hmac for ${m.path}, but got ${h?.path ?? 'the end of the archive'}`, { member: h?.path ?? m.path });
    }
  }
}

/** A chunk's pieces as a stream of at most 1 MiB pieces (no copies). */
export async function* fromParts(parts: readonly Uint8Array[]): ByteStream {
  for (const p of parts) {
    for (let o = 0; o < p.length; o += PIECE) yield p.subarray(o, Math.min(p.length, o + PIECE));
  }
}

/** Rethrows a stream's errors naming the chunk being processed, unless they already name a member. */
export async function* naming(stream: ByteStream, member: () => string): ByteStream {
  try {
    yield* stream;
  } catch (e) {
    if ((e as { code?: string }).code === 'E_PASSPHRASE') {
      // The HMAC verified with this passphrase, so a failing key check means broken data.
      throw new CorruptBackupError('decryption failed although the HMAC verified', { member: member(), cause: e });
    }
    throw withMember(e, member());
  }
}

/** The next stored file of a format-2/3 backup that the consumer selected, its chunks still unread. */
export interface SelectedFile {
  readonly info: Pick<Archive, 'unit' | 'path'>;
  readonly owner: Owner;
}

/**
 * Advances to the next stored file the consumer selected: every member must be a chunk
 * `<path>.NNN` (its `.hmac` follows it), a file may appear only once, and files of no VM or not
 * selected are skipped without reading their bodies. Undefined at the end of the backup.
 */
export async function nextSelectedFile(
  cursor: MemberCursor, seen: Set<string>, owners: (path: string) => Owner | undefined,
  select: (a: Pick<Archive, 'unit' | 'path'>) => boolean,
): Promise<SelectedFile | undefined> {
  for (;;) {
    const m = await cursor.peek();
    if (!m) return undefined;
    const cn = chunkOf(m.path);
    if (!cn) throw new CorruptBackupError("unexpected member (expected a chunk '<name>.NNN')", { member: m.path });
    if (seen.has(cn.path)) throw new CorruptBackupError('file stored twice in the backup', { member: m.path });
    seen.add(cn.path);
    const owner = owners(cn.path);
    const info: Pick<Archive, 'unit' | 'path'> = { unit: owner?.vm ?? '', path: cn.path };
    if (owner && select(info)) return { info, owner };
    await skipChunks(cursor, cn.path);
  }
}

/**
 * The stored files a consumer selected, in backup order, each with its chunk sequence still unread
 * (formats 2 and 3): `nextSelectedFile` over the whole backup, qubes.xml already read.
 */
export async function* selectedFiles(
  ctx: HmacChunkContext, owners: (path: string) => Owner | undefined, select: (a: Pick<Archive, 'unit' | 'path'>) => boolean,
): AsyncGenerator<SelectedFile & { readonly file: ChunkSequence }> {
  const seen = new Set<string>(['qubes.xml']);
  for (;;) {
    const next = await nextSelectedFile(ctx.cursor, seen, owners, select);
    if (!next) return;
    yield { ...next, file: new ChunkSequence(ctx, next.info.path) };
  }
}
