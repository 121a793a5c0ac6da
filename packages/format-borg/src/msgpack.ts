import { Decoder, DecodeError } from '@msgpack/msgpack';
import { CorruptBackupError, utf8, type ByteStream } from '@qubes-backup/core';

/**
 * Borg 1.x packs msgpack with `use_bin_type=False`: every byte string (paths, ids, names) is a raw
 * "str" and is unpacked as bytes (`raw=True`). Paths need not be UTF-8: they become strings with
 * `utf8.decodeEscaped`, which keeps every byte (as Python's surrogateescape does).
 */
export const bytesToName = utf8.decodeEscaped;

/** Map keys decoded losslessly too (archive names are keys of the manifest's `archives` map). */
const keyDecoder = {
  canBeCached: (): boolean => true,
  decode: (bytes: Uint8Array, offset: number, length: number): string => bytesToName(bytes.subarray(offset, offset + length)),
};

/**
 * Limits before anything is allocated (borg's own unpacker limits are of the same order): a
 * hostile length field fails here instead of sizing an array or a buffer.
 */
const LIMITS = {
  rawStrings: true,
  keyDecoder,
  maxBinLength: 64 << 20,
  maxStrLength: 64 << 20,
  maxArrayLength: 16 << 20,
  maxMapLength: 1 << 20,
  maxExtLength: 0,
} as const;

/** One msgpack value from a whole object (manifest, archive, key blob); `what` names it in errors. */
export function unpack(bytes: Uint8Array, what: string): unknown {
  try {
    // Borg unpacks only the first object of a buffer; so do we (TAMs cover the whole buffer anyway).
    for (const v of new Decoder(LIMITS).decodeMulti(bytes)) return v;
  } catch (e) {
    throw corrupt(e, what);
  }
  throw new CorruptBackupError('empty msgpack data', { member: what });
}

/** The values of a msgpack stream cut anywhere (the item stream: an item may span two chunks). */
export async function* unpackStream(stream: ByteStream, what: () => string): AsyncGenerator<unknown> {
  try {
    yield* new Decoder(LIMITS).decodeStream(stream);
  } catch (e) {
    throw corrupt(e, what());
  }
}

function corrupt(e: unknown, what: string): unknown {
  if (e instanceof DecodeError || e instanceof RangeError) return new CorruptBackupError(`invalid msgpack data (${e.message})`, { member: what, cause: e });
  return e;
}

/** A decoded msgpack map (keys decoded with `bytesToName`). */
export type MsgMap = Readonly<Record<string, unknown>>;

export function isMap(v: unknown): v is MsgMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Field readers that fail with one line naming the object and the field. */
export function field(map: MsgMap, what: string) {
  const bad = (key: string, want: string) => new CorruptBackupError(`field '${key}' is not ${want}`, { member: what });
  return {
    bytes(key: string): Uint8Array {
      const v = map[key];
      if (!(v instanceof Uint8Array)) throw bad(key, 'a byte string');
      return v;
    },
    optBytes(key: string): Uint8Array | undefined {
      const v = map[key];
      if (v === undefined || v === null) return undefined;
      if (!(v instanceof Uint8Array)) throw bad(key, 'a byte string');
      return v;
    },
    int(key: string): number {
      const v = map[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(key, 'an integer');
      return v;
    },
    optInt(key: string): number | undefined {
      const v = map[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(key, 'an integer');
      return v;
    },
    map(key: string): MsgMap {
      const v = map[key];
      if (!isMap(v)) throw bad(key, 'a map');
      return v;
    },
    list(key: string): readonly unknown[] {
      const v = map[key];
      if (!Array.isArray(v)) throw bad(key, 'a list');
      return v;
    },
  };
}
