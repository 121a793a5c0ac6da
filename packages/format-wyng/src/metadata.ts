import {
  AuthenticationError, CorruptBackupError, collect, withMember, equalBytes, once, utf8,
  type DirectorySource, type Hash, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { COMPRESSORS, HASHTYPES, type ArchiveConf } from './conf.js';
import { NONCE, TAG, type WyngKeys } from './keys.js';
import { b64urlDecode, keyValues } from './text-records.js';

/** Wyng's size bounds (`src/wyng`): 16384 sessions of a volume, 4000-byte names, 100-byte comments. */
const MAX_SESSIONS = 16384;
const MAX_VOLINFO = (44 + 17 + 10) * MAX_SESSIONS + 4000 * 4 + 100 * 4 + 10;
const MAX_INFO = 64 * 1024;
/** A manifest line: 44-character hash (or `0`), space, `x` and 16 hex digits, newline. */
const LINE = 44 + 1 + 17 + 1;
/** 2^64 - 1, Wyng's largest address, is past what a JS number holds exactly: volumes up to 2^53. */
const MAX_VOLSIZE = Number.MAX_SAFE_INTEGER;
/** Every data hash Wyng offers (HMAC-SHA256, BLAKE2b-256, SHA-256) is 32 bytes. */
const DATA_HASH = 32;

export interface SessionInfo {
  /** `S_YYYYMMDD-HHMMSS`. */
  readonly id: string;
  readonly volsize: number;
  readonly sequence: number;
  readonly previous: string;
  readonly manifestHash: string;
  readonly permissions: string;
  readonly localtime: string;
  /** CRC-32 of the merged manifest up to this session, when Wyng stored it. */
  readonly mfcs?: number;
  readonly tags: readonly string[];
}

export interface VolumeInfo {
  readonly vid: string;
  readonly name: string;
  readonly desc: string;
  /** In sequence order. */
  readonly sessions: readonly SessionInfo[];
}

/**
 * Reads the metadata files of an archive: each is (encrypted,) compressed, and its hash (BLAKE2b-256
 * of the compressed bytes, or the archive's `hashtype` when that is unkeyed) is stored by its parent:
 * archive.ini → volinfo → session info → manifest. Every file is checked before it is decompressed.
 */
export class MetadataReader {
  readonly hash: Hash;

  constructor(
    private readonly registry: Registry,
    private readonly dir: DirectorySource,
    readonly conf: ArchiveConf,
    private readonly keys: WyngKeys | undefined,
  ) {
    this.hash = registry.get('hash', conf.hashType === 'hmac-sha256' ? 'blake2b-256' : HASHTYPES[conf.hashType]!);
  }

  /** A metadata file decrypted, checked against `hash` and decompressed (at most `maxOut` bytes). */
  async decode(file: string, hash: string, maxIn: number, maxOut: number, opts: ReadOptions = {}, path = file): Promise<Uint8Array> {
    return collect(this.decoded(file, hash, maxIn, opts, path), maxOut, path);
  }

  /**
   * A metadata file's plaintext as it decompresses, once its (compressed) bytes are read whole,
   * decrypted and their hash checked: nothing of it reaches the decompressor before.
   */
  private async *decoded(file: string, hash: string, maxIn: number, opts: ReadOptions, path: string): AsyncIterable<Uint8Array> {
    const overhead = this.keys ? NONCE + TAG : 0;
    const bytes = await readFile(this.dir, file, maxIn + overhead, opts, path);
    if (bytes.length <= overhead || bytes.length > maxIn + overhead) throw new CorruptBackupError(`bad size ${bytes.length}`, { member: path });
    let plain: Uint8Array;
    try {
      plain = this.keys ? await this.keys.decryptMetadata(bytes) : bytes;
    } catch (e) {
      if ((e as { code?: string }).code === 'E_AUTH') throw new AuthenticationError('modified: its authentication tag does not verify', { member: path, cause: e });
      throw e;
    }
    const want = b64urlDecode(hash, this.hash.outputLength);
    if (!want) throw new CorruptBackupError(`the hash recorded for it is malformed: '${hash.slice(0, 60)}'`, { member: path });
    const h = this.hash.create();
    h.update(plain);
    if (!equalBytes(h.digest(), want)) {
      // Encrypted archives authenticate the hashes they record; plain ones only check them.
      const Err = this.keys ? AuthenticationError : CorruptBackupError;
      throw new Err('modified or replaced: its hash differs from the one recorded for it', { member: path });
    }
    const codec = this.registry.get('compressor', COMPRESSORS[this.conf.compression]!);
    try {
      yield* codec.decompress(once(plain), opts);
    } catch (e) {
      throw withMember(e, path);
    }
  }

  async volume(vid: string, hash: string, opts: ReadOptions = {}): Promise<VolumeInfo> {
    const path = `${vid}/volinfo`;
    const text = utf8.decode(await this.decode(path, hash, MAX_VOLINFO, 4 * MAX_VOLINFO, opts));
    let name: string | undefined;
    let desc = '';
    const refs: [string, string][] = [];
    const listed = new Set<string>();
    for (const [k, v] of keyValues(text, path)) {
      if (k === 'name') name = v;
      else if (k === 'desc') desc = v;
      else if (/^S_[0-9]{8}-[0-9]{6}$/.test(k)) {
        if (listed.has(k)) throw new CorruptBackupError(`session ${k} listed twice`, { member: path });
        listed.add(k);
        refs.push([k, v]);
      }
    }
    if (name === undefined || !validVolumeName(name)) throw new CorruptBackupError(`bad volume name ${JSON.stringify(name ?? null)}`, { member: path });
    if (refs.length > MAX_SESSIONS) throw new CorruptBackupError(`${refs.length} sessions, more than ${MAX_SESSIONS}`, { member: path });
    const sessions: SessionInfo[] = [];
    for (const [id, h] of refs) sessions.push(await this.session(vid, name, id, h, opts));
    sessions.sort((a, b) => a.sequence - b.sequence);
    for (let i = 1; i < sessions.length; i++) {
      if (sessions[i]!.sequence === sessions[i - 1]!.sequence) throw new CorruptBackupError(`sessions ${sessions[i - 1]!.id} and ${sessions[i]!.id} have the same sequence number`, { member: path });
    }
    return { vid, name, desc, sessions };
  }

  private async session(vid: string, name: string, id: string, hash: string, opts: ReadOptions): Promise<SessionInfo> {
    const path = `volume '${name}', session ${id.slice(2)}: ${vid}/${id}/info`;
    const text = utf8.decode(await this.decode(`${vid}/${id}/info`, hash, MAX_INFO, MAX_INFO, opts, path));
    const f = new Map<string, string>();
    const tags: string[] = [];
    for (const [k, v] of keyValues(text, path)) {
      if (k === 'tag') tags.push(v);
      else f.set(k, v);
    }
    const int = (k: string, max: number): number => {
      const s = f.get(k);
      if (s === undefined || !/^[0-9]+$/.test(s) || Number(s) > max) throw new CorruptBackupError(`bad ${k} '${s ?? ''}'`, { member: path });
      return Number(s);
    };
    const volsize = int('volsize', MAX_VOLSIZE);
    const sequence = int('sequence', Number.MAX_SAFE_INTEGER);
    const manifestHash = f.get('manifesthash');
    if (manifestHash === undefined) throw new CorruptBackupError('no manifesthash', { member: path });
    const mfcs = f.get('mfcs');
    return {
      id, volsize, sequence, manifestHash, tags,
      previous: f.get('previous') ?? 'None', permissions: f.get('permissions') ?? '', localtime: f.get('localtime') ?? '',
      ...(mfcs !== undefined && mfcs !== 'None' ? { mfcs: int('mfcs', 0xffffffff) } : {}),
    };
  }

  /**
   * A session's manifest, each entry given to `each` in address order (`hash` undefined for an
   * all-zero chunk), without keeping them: a large volume's first manifest has millions. Addresses
   * must be chunk-aligned, increasing and inside the session's volume.
   */
  async manifest(vol: VolumeInfo, s: SessionInfo, each: (addr: number, hash: Uint8Array | undefined) => void, opts: ReadOptions = {}): Promise<void> {
    if (s.manifestHash === '0') return;
    const file = `${vol.vid}/${s.id}/manifest.z`;
    const path = `${where(vol, s)}: ${file}`;
    const chunks = Math.ceil(s.volsize / this.conf.chunkSize);
    const maxText = (chunks + 1) * LINE;
    let last = -1;
    let total = 0;
    // Parsed line by line as it decompresses, never held whole: a large volume's manifest is
    // gigabytes of text (more than one JavaScript string can hold).
    for await (const line of lines(this.decoded(file, s.manifestHash, (chunks + 1) * (LINE + 10), opts, path), path)) {
      total += line.length + 1;
      if (total > maxText + 1) throw new CorruptBackupError(`more than the ${maxText} bytes ${chunks} chunks can have`, { member: path });
      if (line.length === 0) continue;
      const m = /^(0|[A-Za-z0-9_=-]{44}) x([0-9a-f]{16})$/.exec(line);
      if (!m) throw new CorruptBackupError(`a malformed line: ${JSON.stringify(line.slice(0, 80))}`, { member: path });
      const addr = Number.parseInt(m[2]!, 16);
      if (!Number.isSafeInteger(addr) || addr % this.conf.chunkSize !== 0 || addr >= Math.max(s.volsize, 1) || addr <= last) {
        throw new CorruptBackupError(`address x${m[2]} is out of order, unaligned or past the volume's end`, { member: path });
      }
      last = addr;
      if (m[1] === '0') { each(addr, undefined); continue; }
      const h = b64urlDecode(m[1]!, DATA_HASH);
      if (!h) throw new CorruptBackupError(`a malformed hash at x${m[2]}`, { member: path });
      each(addr, h);
    }
  }
}

/** The longest line a manifest has (LINE), with room: a longer one is malformed, not held. */
const MAX_LINE = 4 * LINE;

/** The lines of an ASCII text as it arrives (without their newlines); a line too long to be one is refused where it is. */
async function* lines(pieces: AsyncIterable<Uint8Array>, path: string): AsyncIterable<string> {
  let carry = '';
  for await (const piece of pieces) {
    let at = 0;
    for (;;) {
      const nl = piece.indexOf(0x0a, at);
      const end = nl < 0 ? piece.length : nl;
      if (carry.length + end - at > MAX_LINE) throw new CorruptBackupError(`a malformed line: more than ${MAX_LINE} bytes`, { member: path });
      carry += utf8.decode(piece.subarray(at, end));
      if (nl < 0) break;
      yield carry;
      carry = '';
      at = nl + 1;
    }
  }
  if (carry.length > 0) yield carry;
}

/** Wyng's `volname_check`: 1..4000 printable characters, no `.` or `..` component, not absolute. */
export function validVolumeName(name: string): boolean {
  if (name.length === 0 || name.length > 4000 || /[\p{C}]/u.test(name)) return false;
  const parts = name.trim().split('/');
  return !parts.some((p) => p === '.' || p === '..') && !name.trim().startsWith('/');
}

/** A file of the archive, at most `max` bytes: a missing one is a CorruptBackupError naming it. */
export async function readFile(dir: DirectorySource, file: string, max: number, opts: ReadOptions = {}, path = file): Promise<Uint8Array> {
  const missing = (cause?: unknown) => new CorruptBackupError('missing from the archive', { member: path, cause });
  let bytes;
  if (dir.readSmall) {
    opts.signal?.throwIfAborted();
    bytes = await dir.readSmall(file, max);
    if (!bytes) throw missing();
  } else {
    let source;
    try {
      source = await dir.file(file);
    } catch (e) {
      if ((e as { code?: string }).code === 'E_IO') throw missing(e);
      throw e;
    }
    bytes = source.read ? await source.read(0, max + 1, opts) : await collect(source.stream(0, opts), max + 1, path);
  }
  if (bytes.length > max) throw new CorruptBackupError(`more than the ${max} bytes it may have`, { member: path });
  return bytes;
}

/** How messages name a volume at a session, and a chunk of it. */
export function where(volume: VolumeInfo, session: SessionInfo, addr?: number): string {
  const s = `volume '${volume.name}', session ${session.id.slice(2)}`;
  return addr === undefined ? s : `${s}, chunk x${addr.toString(16).padStart(16, '0')}`;
}
