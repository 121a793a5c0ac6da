import {
  CorruptBackupError, UsageError, utf8,
  type ByteStream, type Container, type Member, type ReadOptions,
} from '@qubes-backup/core';
import { Input } from './_input.js';
import { cString } from './_text.js';
import { decodeOldGnuSparse, decodeSparseExtension } from './gnu-sparse.js';
import { decodeHeader, isZeroBlock, type TarHeader } from './header.js';
import { BLOCK, MAX_LONG_NAME_SIZE, MAX_PAX_HEADER_SIZE, MAX_PIECE, MAX_SPARSE_ENTRIES } from './limits.js';
import { decodePaxSparse, SparseMapDecoder } from './pax-sparse.js';
import { parsePaxRecords, paxInteger, paxTime, type PaxRecord } from './pax.js';
import { validateSparseMap, type SparseEntry } from './sparse-map.js';

/** Container options, entry types and extents, as core's `Container` and `Member` define them. */
type ContainerOptions = NonNullable<Parameters<Container['entries']>[1]>;
type EntryType = Member['type'];
type Extent = { readonly offset: number; readonly bytes: Uint8Array };

const TYPES: Readonly<Record<string, EntryType>> = {
  '0': 'file', '\0': 'file', '7': 'file', S: 'file',
  '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

/** What the reader keeps about the member it last yielded. */
interface MemberState {
  path: string;
  /** The name as stored, to match a GNU `M` continuation header (which holds at most 100 bytes of it). */
  rawName: Uint8Array;
  /** The header `size`: data bytes that follow (for PAX sparse 1.0, the map block(s) included). */
  readonly dataSize: number;
  /** Data bytes not consumed yet. */
  remaining: number;
  /** Logical size. */
  size: number;
  storedSize: number;
  /** Sparse map; undefined for a plain member. */
  map?: SparseEntry[];
  /** `M` offsets count against the real size for old-GNU sparse members. */
  gnuSparse: boolean;
  taken: boolean;
  done: boolean;
}

const padding = (n: number): number => (BLOCK - (n % BLOCK)) % BLOCK;

function truncated(name: string): CorruptBackupError {
  return new CorruptBackupError(`truncated tar member '${name}'`, { member: name });
}

/**
 * The tar state machine shared by `entries` (one stream) and `volumeEntries` (GNU multi-volume):
 * headers are parsed in a loop, each member is yielded once, and advancing skips what the consumer
 * left unread. With `volumes`, reaching the end of a stream inside a member's data continues it
 * after the next volume's `M` header.
 */
export class TarReader {
  private input: Input;
  private globals: PaxRecord[] = [];
  /** Bytes of all PAX global headers read so far. */
  private globalBytes = 0;
  private current: MemberState | undefined;
  /** No header other than `V` labels has been read from the current volume yet. */
  private atVolumeStart = false;
  /** Zero blocks read since the last member (`appendedArchives`: an end marker is two), and that member's name. */
  private zerosSince = { count: 0, member: '' };

  constructor(
    input: Input,
    private readonly opts: ContainerOptions,
    private readonly volumes?: AsyncIterator<ByteStream>,
  ) {
    this.input = input;
  }

  async *members(): AsyncGenerator<Member> {
    try {
      for (;;) {
        const member = await this.next();
        if (member === undefined) return;
        yield member;
        await this.finish();
      }
    } finally {
      if (this.current) this.current.done = true;
      await this.input.close();
      await this.volumes?.return?.();
    }
  }

  /** Skips the rest of the current member's data and its padding. */
  private async finish(): Promise<void> {
    const st = this.current;
    if (!st) return;
    st.done = true;
    this.current = undefined;
    while (st.remaining > 0) {
      this.opts.signal?.throwIfAborted();
      const k = await this.input.skip(st.remaining);
      st.remaining -= k;
      if (st.remaining > 0) await this.continueVolume(st);
    }
    const pad = padding(st.dataSize);
    if (pad > 0 && (await this.input.skip(pad)) !== pad) throw truncated(st.path);
  }

  /** Up to `max` bytes of the member's data; continues into the next volume when the stream ends. */
  private async readData(st: MemberState, max: number): Promise<Uint8Array> {
    for (;;) {
      this.opts.signal?.throwIfAborted();
      const c = await this.input.readSome(Math.min(max, st.remaining));
      if (c.length > 0) {
        st.remaining -= c.length;
        return c;
      }
      await this.continueVolume(st);
    }
  }

  /** Exactly `n` bytes of the member's data. */
  private async readDataExact(st: MemberState, n: number): Promise<Uint8Array> {
    if (n > st.remaining) throw truncated(st.path);
    const first = await this.readData(st, n);
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first, 0);
    let o = first.length;
    while (o < n) {
      const c = await this.readData(st, n - o);
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Opens the next volume; false when there is none (or this is a single stream). */
  private async nextVolume(): Promise<boolean> {
    if (!this.volumes) return false;
    const r = await this.volumes.next();
    if (r.done) return false;
    await this.input.close();
    this.input = new Input(undefined, r.value, this.opts);
    this.atVolumeStart = true;
    return true;
  }

  /** The current stream ended inside `st`'s data: the next volume must continue it with an `M` header. */
  private async continueVolume(st: MemberState): Promise<void> {
    if (!(await this.nextVolume())) throw truncated(st.path);
    let h: TarHeader | undefined;
    do {
      h = await this.volumeHeader(st.path);
      if (h === undefined) throw new CorruptBackupError(`volume does not continue tar member '${st.path}'`, { member: st.path });
    } while (h.typeflag === 'V');
    if (h.typeflag !== 'M') throw new CorruptBackupError(`volume does not continue tar member '${st.path}'`, { member: st.path });
    const expected = st.rawName.subarray(0, 100);
    const same = h.nameBytes.length === expected.length && h.nameBytes.every((b, i) => b === expected[i]);
    if (!same) throw new CorruptBackupError(`volume continues '${h.name}', expected tar member '${st.path}'`, { member: st.path });
    const offsetOk = st.map === undefined ? h.offset === st.dataSize - st.remaining
      : !st.gnuSparse || h.offset === st.size - st.remaining;
    if (h.size !== st.remaining || !offsetOk) {
      throw new CorruptBackupError(`continuation of tar member '${st.path}' has the wrong size or offset`, { member: st.path });
    }
  }

  /** One header at the start of a volume (a `V` label's data is skipped); undefined at its end. */
  private async volumeHeader(name: string): Promise<TarHeader | undefined> {
    const block = await this.input.read(BLOCK);
    if (block.length === 0) return undefined;
    if (block.length < BLOCK || isZeroBlock(block)) throw truncated(name);
    const h = decodeHeader(block);
    if (h.typeflag === 'V' && (await this.input.skip(h.size + padding(h.size))) !== h.size + padding(h.size)) throw truncated(name);
    return h;
  }

  /** A header block, or undefined at the end of the input (of the last volume). */
  private async readBlock(): Promise<Uint8Array | undefined> {
    for (;;) {
      this.opts.signal?.throwIfAborted();
      const block = await this.input.read(BLOCK);
      if (block.length === BLOCK) return block;
      if (block.length > 0) {
        if (this.opts.ignoreZeros && isZeroBlock(block)) {
          // tar writes whole blocks: a file ending inside one was cut, even in the zeros after an end
          // marker (that may be the padding of a member in the middle, with the members after it gone).
          if (this.opts.appendedArchives && this.zerosSince.member !== '') throw this.cutShort(this.input.position - block.length);
          return undefined;
        }
        throw new CorruptBackupError(`truncated tar header at offset ${this.input.position - block.length}`);
      }
      if (!(await this.nextVolume())) return undefined;
    }
  }

  /** Reads a metadata body (PAX, long name, `V` label) of `size` bytes plus padding, refusing over `limit`. */
  private async readMeta(h: TarHeader, limit: number, what: string): Promise<Uint8Array> {
    if (h.size > limit) throw new CorruptBackupError(`${what} of ${h.size} bytes is over the ${limit}-byte limit`, { member: h.name });
    const data = await this.input.read(h.size);
    if (data.length !== h.size || (await this.input.skip(padding(h.size))) !== padding(h.size)) throw truncated(h.name);
    return data;
  }

  /** Parses headers up to the next member; undefined at the end of the archive. */
  private async next(): Promise<Member | undefined> {
    let local: PaxRecord[] | undefined;
    let longName: Uint8Array | undefined;
    let longLink: Uint8Array | undefined;
    let start = -1;
    let lastName = '';
    for (;;) {
      const pos = this.input.position;
      const block = await this.readBlock();
      const pending = start >= 0;
      if (block === undefined) {
        if (pending) throw truncated(lastName);
        if (!this.opts.ignoreZeros) throw new CorruptBackupError(`truncated tar archive: no end-of-archive marker at offset ${pos}`);
        if (this.cutBeforeEndMarker()) throw this.cutShort(pos);
        return undefined;
      }
      if (isZeroBlock(block)) {
        if (pending) throw new CorruptBackupError(`tar member '${lastName}' has extended headers but no header`, { member: lastName });
        this.zerosSince.count++;
        if (this.opts.ignoreZeros) continue;
        return undefined;
      }
      this.zerosSince.count = 0;
      let h: TarHeader;
      try {
        h = decodeHeader(block);
      } catch (e) {
        throw new CorruptBackupError(`${(e as Error).message} at offset ${pos}`, { cause: e });
      }
      if (h.size < 0) throw new CorruptBackupError(`negative size in tar header at offset ${pos}`);
      const fresh = this.atVolumeStart;
      if (h.typeflag !== 'V') this.atVolumeStart = false;
      if (!pending) start = pos;
      lastName = h.name;
      switch (h.typeflag) {
        case 'x':
          (local ??= []).push(...parsePaxRecords(await this.readMeta(h, MAX_PAX_HEADER_SIZE, 'PAX extended header')));
          continue;
        case 'g':
          // Global records stay for every later member: all of them together are bounded as one header
          // is (a hostile archive of many 'g' headers grew memory without end, before anything authenticated it).
          this.globalBytes += h.size;
          if (this.globalBytes > MAX_PAX_HEADER_SIZE) throw new CorruptBackupError(`PAX global headers of more than ${MAX_PAX_HEADER_SIZE} bytes in all, at offset ${pos}`);
          this.globals.push(...parsePaxRecords(await this.readMeta(h, MAX_PAX_HEADER_SIZE, 'PAX global header')));
          start = local || longName || longLink ? start : -1;
          continue;
        case 'L':
          longName = cString(await this.readMeta(h, MAX_LONG_NAME_SIZE, 'GNU long name'));
          continue;
        case 'K':
          longLink = cString(await this.readMeta(h, MAX_LONG_NAME_SIZE, 'GNU long link'));
          continue;
        case 'V':
          await this.readMeta(h, MAX_LONG_NAME_SIZE, 'GNU volume label');
          start = local || longName || longLink ? start : -1;
          continue;
        case 'M':
          // At the start of a volume GNU tar may announce the next member with an `M` header of
          // offset 0 before writing that member's own header (seen when a member ended exactly at
          // the previous volume's end). Anywhere else `M` means a volume is missing.
          if (this.volumes && fresh && h.offset === 0 && !pending) {
            start = -1;
            continue;
          }
          throw new CorruptBackupError(`'${h.name}' continues a multi-volume member (read all volumes in order)`, { member: h.name });
      }
      const m = await this.member(h, block, start, local ?? [], longName, longLink);
      this.zerosSince.member = m.path;
      return m;
    }
  }

  /** Appended archives end here without the last one's end marker (an input with no member at all is the caller's to judge). */
  private cutBeforeEndMarker(): boolean {
    return this.opts.appendedArchives === true && this.zerosSince.member !== '' && this.zerosSince.count < 2;
  }

  private cutShort(pos: number): CorruptBackupError {
    const last = this.zerosSince.member;
    return new CorruptBackupError(`truncated: the backup ends at offset ${pos} after '${last}' without an end-of-archive marker (cut short: members after it may be missing)`,
      { member: last });
  }

  private async member(
    h: TarHeader, block: Uint8Array, headerOffset: number,
    local: PaxRecord[], longName: Uint8Array | undefined, longLink: Uint8Array | undefined,
  ): Promise<Member> {
    const records = local.length === 0 ? this.globals : [...this.globals, ...local];
    const pax = new Map<string, string>();
    for (const { key, value } of records) {
      if (value === '') pax.delete(key); else pax.set(key, value);
    }
    let rawName = longName ?? h.nameBytes;
    const paxPath = pax.get('path');
    if (paxPath !== undefined) rawName = utf8.encode(paxPath);
    let path = paxPath ?? (longName ? utf8.decodeEscaped(longName) : h.name);
    const linkTarget = pax.get('linkpath') ?? (longLink ? utf8.decodeEscaped(longLink) : h.linkname);
    const sizeText = pax.get('size');
    const dataSize = sizeText !== undefined ? paxInteger(sizeText, 'size') : h.size;
    const mtimeText = pax.get('mtime');
    const mtime = mtimeText !== undefined ? paxTime(mtimeText, 'mtime') : h.mtime;
    if (path.length > MAX_LONG_NAME_SIZE || linkTarget.length > MAX_LONG_NAME_SIZE) {
      throw new CorruptBackupError('tar member name is too long', { member: path.slice(0, 200) });
    }

    const st: MemberState = {
      path, rawName, dataSize, remaining: dataSize, size: dataSize, storedSize: dataSize,
      gnuSparse: false, taken: false, done: false,
    };
    this.current = st;

    if (h.typeflag === 'S') {
      const sp = decodeOldGnuSparse(block);
      const map = sp.entries;
      let ext = sp.isExtended;
      for (let blocks = 1; ext; blocks++) {
        this.opts.signal?.throwIfAborted();
        if (blocks > MAX_SPARSE_ENTRIES / 21 + 1) throw new CorruptBackupError('too many sparse extension blocks', { member: path });
        const eb = await this.input.read(BLOCK);
        if (eb.length !== BLOCK) throw truncated(path);
        const e = decodeSparseExtension(eb);
        if (map.length + e.entries.length > MAX_SPARSE_ENTRIES) throw new CorruptBackupError(`sparse map has more than ${MAX_SPARSE_ENTRIES} entries`, { member: path });
        for (const x of e.entries) map.push(x);
        ext = e.isExtended;
      }
      const last = map[map.length - 1];
      st.size = sp.realSize || (last ? last.offset + last.length : 0);
      st.map = map;
      st.gnuSparse = true;
    } else if (TYPES[h.typeflag] === 'file') {
      const ps = decodePaxSparse(records);
      if (ps) {
        if (ps.name !== undefined) {
          path = ps.name;
          st.rawName = utf8.encode(ps.name);
        }
        st.path = path;
        this.checkSize(ps.realSize, path);
        if (ps.version === '1.0') {
          const dec = new SparseMapDecoder();
          while (!dec.push(await this.readDataExact(st, BLOCK)));
          st.map = dec.entries;
          st.storedSize = dataSize - dec.consumed;
        } else {
          st.map = ps.entries!;
        }
        st.size = ps.realSize;
      }
    }
    if (st.map) validateSparseMap(st.map, st.size, st.storedSize, path);
    this.checkSize(st.size, path);

    const type = TYPES[h.typeflag] ?? 'other';
    // The data follows the headers read so far (a sparse member's data is not one run: not offered).
    const reread = type === 'file' && st.map === undefined ? this.input.rereader(this.input.position, dataSize) : undefined;
    const member: Member = {
      path,
      type,
      size: st.size,
      storedSize: st.storedSize,
      mode: h.mode & 0o7777,
      mtime,
      ...(linkTarget !== '' || type === 'symlink' || type === 'hardlink' ? { linkTarget } : {}),
      sparse: st.map !== undefined,
      headerOffset,
      extents: (o?: ReadOptions) => this.extents(st, o),
      body: (o?: ReadOptions) => this.body(st, o),
      ...(reread ? { reread } : {}),
    };
    return member;
  }

  private checkSize(size: number, path: string): void {
    const max = this.opts.maxSize;
    if (max !== undefined && size > max) {
      throw new CorruptBackupError(`tar member '${path}' claims ${size} bytes, over the ${max}-byte limit`, { member: path });
    }
  }

  private take(st: MemberState): void {
    if (st.done) throw new UsageError(`the body of '${st.path}' was requested after the container advanced`, { member: st.path });
    if (st.taken) throw new UsageError(`the body of '${st.path}' can be read only once`, { member: st.path });
    st.taken = true;
  }

  private async *body(st: MemberState, o?: ReadOptions): ByteStream {
    this.take(st);
    while (st.remaining > 0) {
      o?.signal?.throwIfAborted();
      if (st.done) throw new UsageError(`the body of '${st.path}' was read after the container advanced`, { member: st.path });
      const c = await this.readData(st, MAX_PIECE);
      o?.onProgress?.(c.length);
      yield c;
    }
  }

  private async *extents(st: MemberState, o?: ReadOptions): AsyncIterable<Extent> {
    const regions = st.map ?? [{ offset: 0, length: st.storedSize }];
    const bytes = this.body(st, o);
    const it = bytes[Symbol.asyncIterator]();
    let carry: Uint8Array = new Uint8Array(0);
    try {
      for (const r of regions) {
        let off = r.offset;
        let left = r.length;
        while (left > 0) {
          if (carry.length === 0) {
            const n = await it.next();
            if (n.done) throw truncated(st.path);
            carry = n.value;
          }
          const k = Math.min(left, carry.length);
          yield { offset: off, bytes: carry.subarray(0, k) };
          carry = carry.subarray(k);
          off += k;
          left -= k;
        }
      }
    } finally {
      await it.return?.();
    }
  }
}
