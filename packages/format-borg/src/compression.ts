import { CorruptBackupError, UnsupportedError, collect, once, type Registry } from '@qubes-backup/core';

/**
 * The compression header of Borg 1.x (`compress.pyx`): two bytes before the data, tried in borg's
 * order (lz4, zstd, none, zlib, lzma, obfuscate). zlib, attic's legacy default, has no borg header:
 * a payload whose first two bytes are a valid zlib CMF/FLG pair is a zlib stream.
 */
const IDS: readonly (readonly [number, string])[] = [[0x01, 'lz4'], [0x03, 'zstd'], [0x00, 'none'], [0x02, 'xz']];
const OBFUSCATE = 0x04;
/** Nested `obfuscate` wrappers borg never writes more than one of. */
const MAX_DEPTH = 2;

/** Which codec a payload needs (for messages and `info`). */
export function compressionOf(payload: Uint8Array): string {
  if (payload.length >= 2 && payload[1] === 0) {
    const id = IDS.find(([b]) => b === payload[0]);
    if (id) return id[1] === 'xz' ? 'lzma' : id[1];
  }
  if (isZlib(payload)) return 'zlib';
  if (payload.length >= 2 && payload[0] === OBFUSCATE && payload[1] === 0) return 'obfuscate';
  return 'unknown';
}

function isZlib(p: Uint8Array): boolean {
  return p.length >= 2 && (p[0]! & 0x0f) === 8 && ((p[0]! << 8) | p[1]!) % 31 === 0;
}

/**
 * The plaintext of a decrypted payload, at most `limit` bytes (a bomb stops there); `exact` says
 * `limit` is the size the chunk list gives, so a codec may decode into one buffer. The codecs come
 * from the registry: `lz4` (a raw LZ4 block), `zstd` (one frame), `xz` (borg's lzma is an .xz
 * container), `zlib`, `none`; `obfuscate` is `04 00`, the inner payload's size (u32 big-endian),
 * the inner payload with its own header, and zero padding.
 */
export async function decompress(registry: Registry, payload: Uint8Array, limit: number, what: string, exact = false, depth = 0): Promise<Uint8Array> {
  let codec: string | undefined;
  let body = payload.subarray(2);
  if (payload.length >= 2 && payload[1] === 0) codec = IDS.find(([b]) => b === payload[0])?.[1];
  if (codec === undefined && isZlib(payload)) { codec = 'zlib'; body = payload; }
  if (codec === undefined && payload.length >= 6 && payload[0] === OBFUSCATE && payload[1] === 0) {
    if (depth >= MAX_DEPTH) throw new CorruptBackupError('obfuscate wrappers nested too deep', { member: what });
    const n = ((payload[2]! << 24) | (payload[3]! << 16) | (payload[4]! << 8) | payload[5]!) >>> 0;
    if (6 + n > payload.length) throw new CorruptBackupError('obfuscate: the inner size runs past the object', { member: what });
    return decompress(registry, payload.subarray(6, 6 + n), limit, what, exact, depth + 1);
  }
  if (codec === undefined) {
    throw new UnsupportedError(`no decompressor for this data (header ${[...payload.subarray(0, 2)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`, { member: what });
  }
  if (codec === 'none') {
    if (body.length > limit) throw new CorruptBackupError(`object larger than ${limit} bytes`, { member: what });
    return body;
  }
  try {
    return await collect(registry.get('compressor', codec).decompress(once(body), exact ? { outputSize: limit } : {}), limit, what);
  } catch (e) {
    if (e instanceof RangeError) throw new CorruptBackupError(`decompressed data larger than ${limit} bytes (a decompression bomb?)`, { member: what });
    const err = e as { code?: string; message?: string };
    if (err.code === 'E_CORRUPT' || err.code === 'E_UNSUPPORTED') throw new CorruptBackupError(`${codec}: ${err.message}`, { member: what, cause: e });
    throw e;
  }
}
