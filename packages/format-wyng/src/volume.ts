import {
  AuthenticationError, CorruptBackupError, UnsupportedError, concatBytes, equalBytes, once,
  type DirectorySource, type Hash, type Member, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { COMPRESSORS, HASHTYPES } from './conf.js';
import { NONCE, type WyngKeys } from './keys.js';
import { b64urlEncode } from './text-records.js';
import { readFile, where, type MetadataReader, type SessionInfo, type VolumeInfo } from './metadata.js';

/** Chunks read, decrypted and checked ahead of the one being written (each at most a chunk and a bit). */
const READ_AHEAD = 8;

/** A volume as it was at one session: for each chunk, the session that stored it and its hash (none: zeros). */
export interface VolumeAt {
  readonly volume: VolumeInfo;
  readonly session: SessionInfo;
  readonly size: number;
  /**
   * Per chunk index: the index in `volume.sessions` of the session holding it, or -1 for zeros. It
   * ends after the last chunk a manifest names: every chunk after it is zeros.
   */
  readonly owner: Int32Array;
  /** Per chunk index: its 32-byte hash (zeros where `owner` is -1). */
  readonly hashes: Uint8Array;
}

/**
 * Chunks a volume's map may hold (37 bytes each: 2^26 is 2.3 GiB, a 4 TiB volume of 64 KiB chunks
 * written to its end). Beyond, a clear refusal instead of an allocation that fails or takes the machine.
 */
const MAX_MAPPED_CHUNKS = 2 ** 26;

/**
 * Merges the manifests of every session up to `upto` (in sequence order), the newest entry of an
 * address winning, as Wyng's `merge_manifests` does; addresses past the session's volume size are
 * dropped. When the session records `mfcs` (CRC-32 of that merged manifest) it is compared.
 */
export async function volumeAt(meta: MetadataReader, registry: Registry, volume: VolumeInfo, upto: number, opts: ReadOptions = {}): Promise<VolumeAt> {
  const session = volume.sessions[upto]!;
  const size = session.volsize;
  const chunkSize = meta.conf.chunkSize;
  const n = Math.ceil(size / chunkSize);
  // Sized by what the manifests name, growing as they do, not by the volume's size: a sparse volume
  // (or a size field someone inflated) costs only the chunks its manifests list.
  let owner = new Int32Array(0);
  let hashes = new Uint8Array(0);
  /** Addresses some manifest named (a zero chunk too): they make up the merged manifest. */
  let named = new Uint8Array(0);
  let mapped = 0;
  const reach = (i: number) => {
    if (i < owner.length) return;
    if (i >= MAX_MAPPED_CHUNKS) {
      throw new UnsupportedError(`the volume names chunk ${i}, more than the ${MAX_MAPPED_CHUNKS} this reader maps (37 bytes each)`, { member: where(volume, session) });
    }
    const cap = Math.min(n, MAX_MAPPED_CHUNKS, Math.max(i + 1, owner.length * 2, 1024));
    const o = new Int32Array(cap).fill(-1);
    o.set(owner);
    const h = new Uint8Array(cap * 32);
    h.set(hashes);
    const d = new Uint8Array(cap);
    d.set(named);
    owner = o; hashes = h; named = d;
  };
  for (let k = 0; k <= upto; k++) {
    await meta.manifest(volume, volume.sessions[k]!, (addr, hash) => {
      const i = addr / chunkSize;
      if (i >= n) return;
      reach(i);
      mapped = Math.max(mapped, i + 1);
      named[i] = 1;
      if (hash) { owner[i] = k; hashes.set(hash, i * 32); } else { owner[i] = -1; hashes.fill(0, i * 32, i * 32 + 32); }
    }, opts);
  }
  owner = owner.subarray(0, mapped);
  hashes = hashes.subarray(0, mapped * 32);
  named = named.subarray(0, mapped);
  if (session.mfcs !== undefined) {
    const crc = registry.get('hash', 'crc32').create();
    const enc = new TextEncoder();
    for (let i = 0; i < mapped; i++) {
      if (!named[i]) continue;
      const h = owner[i]! < 0 ? '0' : b64urlEncode(hashes.subarray(i * 32, i * 32 + 32));
      crc.update(enc.encode(`${h} x${(i * chunkSize).toString(16).padStart(16, '0')}\n`));
    }
    const d = crc.digest();
    const got = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
    if (got !== session.mfcs) {
      throw new CorruptBackupError(`the merged manifest's checksum is ${got}, the session records ${session.mfcs}`, { member: where(volume, session) });
    }
  }
  return { volume, session, size, owner, hashes };
}

/** What reading chunks needs. */
export interface ChunkReader {
  readonly registry: Registry;
  readonly dir: DirectorySource;
  readonly chunkSize: number;
  readonly compression: string;
  readonly hashType: string;
  readonly keys: WyngKeys | undefined;
  /** `--all-sessions`: also check the chunks the merged volume does not use, for every session. */
  readonly allSessions?: boolean;
  readonly meta?: MetadataReader;
}

export function chunkReader(registry: Registry, dir: DirectorySource, meta: MetadataReader, keys: WyngKeys | undefined, allSessions = false): ChunkReader {
  const c = meta.conf;
  return { registry, dir, chunkSize: c.chunkSize, compression: c.compression, hashType: c.hashType, keys, allSessions, meta };
}

/**
 * The volume's data chunks as extents in address order: each file is read, decrypted, its hash
 * checked against the merged manifest and only then decompressed, to exactly the chunk's length.
 * Zero chunks (and chunks that decompress to zeros) are holes. A few chunks are read ahead.
 */
export async function* volumeExtents(r: ChunkReader, v: VolumeAt, opts: ReadOptions = {}): AsyncIterable<{ offset: number; bytes: Uint8Array }> {
  const n = v.owner.length;
  const keyed = r.keys ? await r.keys.manifestHashKey(opts) : undefined;
  // Wyng keys data hashes (HMAC-SHA256) whenever the cipher mode has a manifest-hash subkey,
  // whatever `hashtype` says; only the others use `hashtype` itself.
  if (r.hashType === 'hmac-sha256' && !keyed) throw new CorruptBackupError('hmac-sha256 data hashes need an encrypted archive', { member: 'archive.ini' });
  const hash: Hash = r.registry.get('hash', keyed ? 'sha256' : HASHTYPES[r.hashType]!);
  const codec = r.registry.get('compressor', COMPRESSORS[r.compression]!);
  const maxFile = r.chunkSize + r.chunkSize / 64 + (r.keys ? NONCE : 0);

  /** Chunk `addr` as session `s` stored it, checked against `expected`, in a volume of `size` bytes. */
  const load = async (addr: number, s: SessionInfo, expected: Uint8Array, size: number): Promise<Uint8Array | undefined> => {
    const member = where(v.volume, s, addr);
    const hex = addr.toString(16).padStart(16, '0');
    const path = `${v.volume.vid}/${s.id}/${hex.slice(0, 9)}/x${hex}`;
    const file = await readFile(r.dir, path, maxFile, opts, member);
    if (file.length < 1 + (r.keys ? NONCE : 0) || file.length > maxFile) throw new CorruptBackupError(`chunk file of ${file.length} bytes`, { member });
    const stored = r.keys ? await r.keys.decryptData(file, opts) : file;
    const digest = keyed ? await hash.hmacOf(keyed, stored) : (() => { const h = hash.create(); h.update(stored); return h.digest(); })();
    if (!equalBytes(digest, expected)) {
      const Err = r.keys ? AuthenticationError : CorruptBackupError;
      throw new Err('hash mismatch: the chunk was modified or belongs elsewhere', { member });
    }
    const want = Math.min(r.chunkSize, size - addr);
    const parts: Uint8Array[] = [];
    let got = 0;
    try {
      for await (const p of codec.decompress(once(stored), { ...opts, outputSize: want })) {
        got += p.length;
        if (got > want) break;
        parts.push(p);
      }
    } catch (e) {
      throw new CorruptBackupError(`does not decompress: ${(e as Error).message}`, { member, cause: e });
    }
    if (got !== want) throw new CorruptBackupError(`decompresses to ${got > want ? 'more than ' : ''}${got} bytes, not ${want}`, { member });
    const bytes = parts.length === 1 ? parts[0]! : concatBytes(parts);
    return isZero(bytes) ? undefined : bytes;
  };

  const data: number[] = [];
  for (let i = 0; i < n; i++) if (v.owner[i]! >= 0) data.push(i);
  const pending: Promise<Uint8Array | undefined>[] = [];
  let next = 0;
  const fill = () => {
    while (next < data.length && pending.length < READ_AHEAD) {
      const i = data[next++]!;
      const p = load(i * r.chunkSize, v.volume.sessions[v.owner[i]!]!, v.hashes.subarray(i * 32, i * 32 + 32), v.size);
      p.catch(() => undefined);
      pending.push(p);
    }
  };
  for (const i of data) {
    fill();
    opts.signal?.throwIfAborted();
    const bytes = await pending.shift()!;
    if (bytes) yield { offset: i * r.chunkSize, bytes };
  }
  if (!r.allSessions || !r.meta) return;
  // Every other chunk of every session (those later sessions replaced, and sessions after this one):
  // read and checked like the others, nothing yielded.
  for (const [k, s] of v.volume.sessions.entries()) {
    const replaced: [number, Uint8Array][] = [];
    await r.meta.manifest(v.volume, s, (addr, h) => {
      const i = addr / r.chunkSize;
      if (h && !(i < n && v.owner[i] === k)) replaced.push([addr, h]);
    }, opts);
    for (const [addr, h] of replaced) {
      opts.signal?.throwIfAborted();
      await load(addr, s, h, s.volsize);
    }
  }
}

function isZero(b: Uint8Array): boolean {
  const words = b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2) : undefined;
  if (words) { for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false; }
  for (let i = words ? words.length * 4 : 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The volume as one sparse member (`private.img`): extents are its data chunks, holes its zeros. */
export function volumeMember(r: ChunkReader, v: VolumeAt, path: string): Member {
  const mode = Number.parseInt(v.session.permissions.split(':')[0] ?? '', 10);
  const ns = /^[0-9]+$/.test(v.session.localtime) ? Number(v.session.localtime) / 1e9 : Number.NaN;
  let dataChunks = 0;
  for (let i = 0; i < v.owner.length; i++) if (v.owner[i]! >= 0) dataChunks++;
  let used = false;
  const extents = (opts?: ReadOptions) => {
    if (used) throw new Error(`${path}: extents() or body() was already called`);
    used = true;
    return volumeExtents(r, v, opts);
  };
  return {
    path, type: 'file', size: v.size, storedSize: Math.min(v.size, dataChunks * r.chunkSize),
    mode: Number.isInteger(mode) && mode >= 0 && mode <= 0o7777 ? mode : 0o644,
    mtime: Number.isFinite(ns) ? Math.floor(ns) : 0,
    sparse: true, headerOffset: 0,
    extents,
    body: (opts?: ReadOptions) => filled(extents(opts), v.size, r.chunkSize),
  };
}

/**
 * Extents with their holes filled with zeros, a chunk at a time: views of one zero chunk, made as
 * they are taken (a hole of a thin 1 TiB image must not be allocated).
 */
async function* filled(ext: AsyncIterable<{ offset: number; bytes: Uint8Array }>, size: number, chunk: number): AsyncIterable<Uint8Array> {
  const zero = new Uint8Array(chunk);
  let at = 0;
  function* zeros(to: number): Generator<Uint8Array> {
    while (at < to) { const k = Math.min(chunk, to - at); at += k; yield zero.subarray(0, k); }
  }
  for await (const e of ext) {
    yield* zeros(e.offset);
    yield e.bytes;
    at += e.bytes.length;
  }
  yield* zeros(size);
}
