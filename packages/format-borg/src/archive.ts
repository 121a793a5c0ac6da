import { CorruptBackupError, UnsupportedError, equalBytes, type ByteStream, type Registry } from '@qubes-backup/core';
import type { KeyMaterial } from './keys.js';
import { bytesToName, field, isMap, unpack, unpackStream, type MsgMap } from './msgpack.js';
import { hex, type Objects } from './objects.js';
import { verifyTam, type TamStatus } from './tam.js';

/** An archive's metadata object (`archive.py` Archive._load_meta). */
export interface ArchiveMeta {
  readonly name: string;
  readonly id: string;
  /** Ids of the chunks whose plaintexts, concatenated, are the msgpack stream of its items. */
  readonly items: readonly Uint8Array[];
  readonly time: string;
  readonly timeEnd?: string;
  readonly hostname?: string;
  readonly username?: string;
  readonly comment?: string;
  readonly cmdline?: readonly string[];
  /** `invalid`: the TAM does not verify (tampered, or renamed by borg ≤ 1.2.4); the caller decides. */
  readonly tam: TamStatus | 'invalid';
}

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : bytesToName(b));

/**
 * Reads and checks an archive's metadata: its object (MAC, id) and its TAM, whose status the
 * caller acts on (borg 1.4 refuses to open an archive whose TAM does not verify).
 */
export async function loadArchive(registry: Registry, objects: Objects, key: KeyMaterial | undefined, name: string, id: Uint8Array): Promise<ArchiveMeta> {
  const what = `archive '${name}'`;
  const plain = await objects.get(id, what);
  const m = unpack(plain, what);
  if (!isMap(m)) throw new CorruptBackupError('the archive metadata is not a map', { member: what });
  const f = field(m, what);
  if (f.int('version') !== 1) throw new UnsupportedError(`archive version ${f.int('version')} is not supported`, { member: what });
  const tam = await verifyTam(registry, plain, m, key, 'archive', what).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'E_AUTH') return 'invalid' as const;
    throw e;
  });
  const items = f.list('items').map((x) => {
    if (!(x instanceof Uint8Array) || x.length !== 32) throw new CorruptBackupError('an item chunk id is not 32 bytes', { member: what });
    return x;
  });
  const cmdline = Array.isArray(m['cmdline']) ? m['cmdline'].filter((x): x is Uint8Array => x instanceof Uint8Array).map(bytesToName) : undefined;
  const optional = (k: string) => text(f.optBytes(k));
  return {
    name, id: hex(id), items, time: new TextDecoder().decode(f.bytes('time')), tam,
    ...defined({ timeEnd: optional('time_end'), hostname: optional('hostname'), username: optional('username'), comment: optional('comment') }),
    ...(cmdline ? { cmdline } : {}),
  };
}

function defined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/**
 * The archive's items in order: its item chunks are read one after another (each authenticated,
 * decompressed and id-checked) and parsed as one msgpack stream, since an item may span two chunks.
 */
export async function* itemsOf(objects: Objects, meta: ArchiveMeta): AsyncGenerator<MsgMap> {
  let current = `archive '${meta.name}'`;
  const chunks = async function* (): ByteStream {
    for (const [i, id] of meta.items.entries()) {
      current = `archive '${meta.name}', item chunk ${i}`;
      yield await objects.get(id, current);
    }
  };
  for await (const item of unpackStream(chunks(), () => current)) {
    if (!isMap(item)) throw new CorruptBackupError('an item is not a map', { member: current });
    yield item;
  }
}

/** The paths of the archive's files whose chunk lists hold `id` (a second pass over the item metadata only). */
export async function usersOf(objects: Objects, meta: ArchiveMeta, id: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for await (const item of itemsOf(objects, meta)) {
    const chunks = item['chunks'];
    if (!Array.isArray(chunks)) continue;
    if (chunks.some((c) => Array.isArray(c) && c[0] instanceof Uint8Array && equalBytes(c[0], id)) && item['path'] instanceof Uint8Array) {
      out.push(bytesToName(item['path']));
    }
  }
  return out;
}
