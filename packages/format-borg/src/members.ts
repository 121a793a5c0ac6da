import {
  CorruptBackupError, isQubesBackupError, type Archive, type ByteStream, type Member, type ReadOptions,
} from '@qubes-backup/core';
import { bytesToName, field, type MsgMap } from './msgpack.js';
import { chunkList, fetchChunk, type ChunkRef } from './chunk-list.js';
import { ChunkPrefetch, type Slot } from './chunk-prefetch.js';
import { reason, retold, type Objects } from './objects.js';
import { isZero } from './zero.js';

const S_IFMT = 0o170000;
const TYPES: Readonly<Record<number, Member['type']>> = {
  0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o010000: 'fifo', 0o020000: 'char', 0o060000: 'block',
};
/** The member type of an item's `mode` (its S_IFMT bits). */
export function typeOfMode(mode: number): Member['type'] {
  return TYPES[mode & S_IFMT] ?? 'other';
}

/** Largest logical file size accepted (ext4's own limit), against a chunk list claiming more. */
const MAX_FILE_SIZE = 2 ** 44;

/** Items parsed ahead of the one being read, at most: enough to keep the prefetch busy on small files. */
const LOOKAHEAD = 64;

/**
 * An archive's items as members for the engine: regular files read from their chunk lists (an
 * all-zero chunk becomes a hole, as `borg extract --sparse` does), directories, symlinks, hard
 * links (`source` names the first link, which carried the chunks), fifos and devices (reported,
 * not created). Names keep every byte (see `bytesToName`). Checkpoint part items are skipped, as
 * borg does unless asked.
 *
 * Items are parsed a little ahead of the member being read, and the chunks of files the caller
 * wants (`opts.wanted`) are fetched ahead (see `ChunkPrefetch`); a file's chunks are always
 * fetched ahead of its own reading.
 */
export async function* membersOf(
  items: AsyncIterable<MsgMap>, objects: Objects, archive: string, usedBy: (id: Uint8Array) => Promise<string[]>,
  opts: Parameters<Archive['members']>[0] = {},
): AsyncGenerator<Member> {
  const prefetch = new ChunkPrefetch(fetchChunk(objects));
  /** The chunks of hard-link masters, so a link whose master was not selected can still be written. */
  const masters = new Map<string, readonly ChunkRef[]>();
  const ahead: ItemMember[] = [];
  const it = items[Symbol.asyncIterator]();
  let ended = false;
  for (;;) {
    while (!ended && (ahead.length === 0 || (opts.wanted && ahead.length < LOOKAHEAD && prefetch.hungry))) {
      const r = await it.next();
      if (r.done) { ended = true; break; }
      const m = itemMember(r.value, archive, masters, prefetch, usedBy);
      if (!m) continue;
      if (opts.wanted && m.member.type === 'file' && m.member.size > 0 && opts.wanted(m.member)) m.planAhead();
      ahead.push(m);
    }
    const next = ahead.shift();
    if (!next) return;
    try {
      yield next.member;
    } finally {
      // Read, skipped or abandoned: what it planned and did not take is let go.
      next.release();
    }
  }
}

/** A member, with what the prefetch needs to know of it. */
interface ItemMember {
  readonly member: Member;
  planAhead(): void;
  release(): void;
}

function itemMember(
  item: MsgMap, archive: string, masters: Map<string, readonly ChunkRef[]>, prefetch: ChunkPrefetch,
  usedBy: (id: Uint8Array) => Promise<string[]>,
): ItemMember | undefined {
  if (item['part'] !== undefined) return undefined;
  const f = field(item, `archive '${archive}'`);
  const path = bytesToName(f.bytes('path'));
  const what = `archive '${archive}': ${path}`;
  const g = field(item, what);
  const mode = g.int('mode');
  const type = typeOfMode(mode);
  const source = g.optBytes('source');
  const chunks = item['chunks'] === undefined ? [] : chunkList(g.list('chunks'), what);
  const isLink = source !== undefined && type === 'file';
  // Ids copied: the parsed ones are views of the item chunk they came from, which would stay in
  // memory as long as the archive is read. Borg 1.0 items never say `hardlink_master`, so there every file is kept.
  if (chunks.length && item['hardlink_master'] !== false && type === 'file') masters.set(path, chunks.map((c) => ({ ...c, id: c.id.slice() })));
  const content = isLink ? masters.get(bytesToName(source)) ?? [] : chunks;
  const size = content.reduce((a, c) => a + c.size, 0);
  const declared = g.optInt('size');
  if (!isLink && declared !== undefined && declared !== size && chunks.length) {
    throw new CorruptBackupError(`its size ${declared} is not the sum of its chunks (${size})`, { member: what });
  }
  if (size > MAX_FILE_SIZE) throw new CorruptBackupError(`claims ${size} bytes`, { member: what });
  return member({
    path, type: isLink ? 'hardlink' : type, mode, mtime: seconds(item['mtime'], what), size: type === 'file' ? size : 0,
    ...(source !== undefined ? { linkTarget: bytesToName(source) } : {}),
  }, content, prefetch, usedBy);
}

/** Item times are nanoseconds: an integer, or little-endian bytes when they need more than 63 bits. */
function seconds(v: unknown, what: string): number {
  if (typeof v === 'number') return v / 1e9;
  if (typeof v === 'bigint') return Number(v) / 1e9;
  if (v instanceof Uint8Array && v.length <= 16) {
    let n = 0n;
    for (let i = v.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(v[i]!);
    if (v.length && v[v.length - 1]! & 0x80) n -= 1n << BigInt(8 * v.length);
    return Number(n) / 1e9;
  }
  if (v === undefined) throw new CorruptBackupError('no mtime', { member: what });
  throw new CorruptBackupError('invalid mtime', { member: what });
}

interface Shape {
  readonly path: string;
  readonly type: Member['type'];
  readonly mode: number;
  readonly mtime: number;
  readonly size: number;
  readonly linkTarget?: string;
}

function member(shape: Shape, chunks: readonly ChunkRef[], prefetch: ChunkPrefetch, usedBy: (id: Uint8Array) => Promise<string[]>): ItemMember {
  const what = shape.path;
  let used = false;
  let slots: Slot[] | undefined;
  const once = () => {
    if (used) throw new CorruptBackupError('the data of an item can be read only once', { member: what });
    used = true;
  };
  async function* extents(opts?: ReadOptions): AsyncIterable<{ offset: number; bytes: Uint8Array }> {
    slots ??= prefetch.plan(chunks, what);
    let offset = 0;
    for (const slot of slots) {
      opts?.signal?.throwIfAborted();
      let bytes: Uint8Array;
      try {
        bytes = await prefetch.take(slot);
      } catch (e) {
        throw await damaged(e, slot.chunk.id, what, usedBy);
      }
      // A hole, as `borg extract --sparse` makes: only data is written, the length is set at the end.
      if (!isZero(bytes)) yield { offset, bytes };
      offset += slot.chunk.size;
    }
  }
  const m: Member = {
    ...shape, storedSize: shape.size, sparse: false, headerOffset: 0,
    extents: (opts) => { once(); return extents(opts); },
    body: (opts) => {
      once();
      // Holes read back as zeros for consumers of the plain bytes.
      return (async function* (): ByteStream {
        let at = 0;
        for await (const e of extents(opts)) {
          yield* zeros(e.offset - at);
          yield e.bytes;
          at = e.offset + e.bytes.length;
        }
        yield* zeros(shape.size - at);
      })();
    },
  };
  return {
    member: m,
    planAhead: () => { slots ??= prefetch.plan(chunks, what); },
    release: () => { if (slots) prefetch.drop(slots); },
  };
}

const ZERO = new Uint8Array(1 << 20);

/** `n` zero bytes in pieces of at most 1 MiB (a hole may be terabytes). */
function* zeros(n: number): Generator<Uint8Array> {
  for (let left = n; left > 0; left -= ZERO.length) yield ZERO.subarray(0, Math.min(left, ZERO.length));
}

/**
 * A chunk that fails (damaged, tampered, missing) is reported with its id and every file of the
 * archive that uses it, as `borg check --verify-data` does, so the user knows what else is lost.
 */
async function damaged(e: unknown, id: Uint8Array, path: string, usedBy: (id: Uint8Array) => Promise<string[]>): Promise<unknown> {
  if (!isQubesBackupError(e) || (e.code !== 'E_AUTH' && e.code !== 'E_CORRUPT')) return e;
  const users = await usedBy(id).catch(() => [path]);
  const shown = users.slice(0, 10).join(', ') + (users.length > 10 ? `, and ${users.length - 10} more` : '');
  return retold(e, `${reason(e)}; this chunk is used by ${users.length} file${users.length === 1 ? '' : 's'}: ${shown}`, path);
}
