import { CorruptBackupError, UsageError, type ByteSource, type DirectorySource, type Hash } from '@qubes-backup/core';
import { parseRepositoryConfig, type RepositoryConfig } from './config.js';
import { HashIndexFile } from './hash-index.js';
import { ObjectMap } from './object-map.js';
import {
  StaleIndexError, TAG_COMMIT, TAG_DELETE, TAG_PUT, isCommitted, listSegments, readPut, scanSegment, type SegmentFile,
} from './segments.js';

/** The manifest's id: 32 zero bytes (`helpers/manifest.py` MANIFEST_ID). */
export const MANIFEST_ID = new Uint8Array(32);

/**
 * What a folder reached through a server of objects (`borg serve`'s RPC) offers instead of its
 * segment files: the objects by id. Recognized structurally (a `objects.get` function on the
 * DirectorySource), so a transport package gives it without importing this one. `get` resolves to
 * undefined for an id the repository does not hold.
 */
export interface ServedObjects {
  get(id: Uint8Array): Promise<Uint8Array | undefined>;
}

function servedObjects(dir: DirectorySource): ServedObjects | undefined {
  const o = (dir as { readonly objects?: unknown }).objects;
  return typeof o === 'object' && o !== null && typeof (o as { get?: unknown }).get === 'function' ? o as ServedObjects : undefined;
}

/** A committed transaction: its id (the number of the segment its COMMIT ends) and where its manifest was. */
export interface Transaction {
  readonly id: number;
  readonly manifest?: { readonly segment: number; readonly offset: number };
}

/**
 * A Borg 1.x repository read in place, never written or locked: `config`, the segments under
 * `data/`, and `index.N` when it belongs to the transaction read. The transaction read is the last
 * committed one (the highest segment ending in a COMMIT; anything after it is an unfinished write
 * borg would discard), or an earlier one (`asOf`): append-only repositories keep every transaction.
 */
export class Repository {
  private readonly sources = new Map<number, Promise<ByteSource>>();
  private map: ObjectMap | undefined;

  private constructor(
    private readonly dir: DirectorySource,
    readonly config: RepositoryConfig,
    private readonly segments: readonly SegmentFile[],
    /** The transaction this view reads (unknown through a server of objects). */
    readonly transaction: number | undefined,
    /** The repository's last committed transaction (unknown through a server of objects). */
    readonly lastTransaction: number | undefined,
    private index: HashIndexFile | undefined,
    private readonly crc32: Hash,
    /** Objects asked of a server (`borg serve`) instead of read from segments. */
    private readonly served?: ServedObjects,
  ) {}

  static async open(dir: DirectorySource, crc32: Hash, asOf?: number): Promise<Repository> {
    const config = parseRepositoryConfig(await (await dir.file('config')).read!(0, 1 << 20));
    const served = servedObjects(dir);
    if (served) {
      // The server reads its last committed transaction itself; earlier ones need the segments.
      if (asOf !== undefined) throw new UsageError('--as-of needs the repository\'s files (a local path or sftp://), not borg serve');
      return new Repository(dir, config, [], undefined, undefined, undefined, crc32, served);
    }
    const segments = await listSegments(dir);
    let last: number | undefined;
    for (let i = segments.length - 1; i >= 0 && last === undefined; i--) {
      const s = await dir.file(segments[i]!.path);
      if ((s.size ?? 0) > 0 && await isCommitted(s, segments[i]!, crc32)) last = segments[i]!.segment;
    }
    if (last === undefined) throw new CorruptBackupError('no committed transaction in the repository (no segment ends with a COMMIT)', { member: 'data' });
    const transaction = asOf ?? last;
    if (asOf !== undefined) {
      if (asOf > last) throw new UsageError(`--as-of ${asOf}: the repository's last transaction is ${last}`);
      const seg = segments.find((s) => s.segment === asOf);
      if (!seg || !(await isCommitted(await dir.file(seg.path), seg, crc32))) {
        throw new UsageError(`--as-of ${asOf}: no transaction ${asOf} in this repository (see info --history)`);
      }
    }
    const repo = new Repository(dir, config, segments.filter((s) => s.segment <= transaction), transaction, last, undefined, crc32);
    if (asOf === undefined) repo.index = await repo.indexFile(transaction);
    return repo;
  }

  /** `index.N` when it exists and is well formed; borg rebuilds it from the segments otherwise, and so do we. */
  private async indexFile(n: number): Promise<HashIndexFile | undefined> {
    const listed = await this.dir.list('');
    if (!listed.some((e) => e.name === `index.${n}` && e.type === 'file')) return undefined;
    return HashIndexFile.open(await this.dir.file(`index.${n}`));
  }

  private source(file: SegmentFile): Promise<ByteSource> {
    let s = this.sources.get(file.segment);
    if (!s) { s = this.dir.file(file.path); this.sources.set(file.segment, s); }
    return s;
  }

  private file(segment: number): SegmentFile | undefined {
    return this.segments.find((s) => s.segment === segment);
  }

  /** Every object live in the transaction read: PUT sets, DELETE removes, in segment order. */
  private async replay(): Promise<ObjectMap> {
    if (this.map) return this.map;
    const map = new ObjectMap();
    for (const f of this.segments) {
      for await (const e of scanSegment(await this.source(f), f, this.crc32)) {
        if (e.tag === TAG_PUT) map.set(e.key!, f.segment, e.offset);
        else if (e.tag === TAG_DELETE) map.delete(e.key!);
      }
    }
    this.map = map;
    return map;
  }

  /**
   * The stored bytes of object `id` (CRC32 checked), or undefined when the transaction has no such
   * object. An index entry that points at another object is stale: the segments are replayed once.
   * `storedSize` is the caller's hint of the object's stored length (see `readPut`).
   */
  async get(id: Uint8Array, storedSize?: number): Promise<Uint8Array | undefined> {
    if (this.served) return this.served.get(id);
    const at = this.index && !this.map ? await this.index.lookup(id) : (await this.replay()).get(id);
    if (!at) {
      if (this.index && !this.map) { this.index = undefined; return this.get(id, storedSize); }
      return undefined;
    }
    const file = this.file(at.segment);
    if (!file) {
      if (this.index && !this.map) { this.index = undefined; return this.get(id, storedSize); }
      throw new CorruptBackupError(`object in segment ${at.segment}, which does not exist`, { member: 'data' });
    }
    try {
      return await readPut(await this.source(file), file, at.offset, id, this.crc32, storedSize);
    } catch (e) {
      if (e instanceof StaleIndexError && this.index && !this.map) { this.index = undefined; return this.get(id, storedSize); }
      throw e;
    }
  }

  /**
   * What a missing object may mean, for its message: read as of an earlier transaction, a
   * repository that is not append-only may have been compacted since (`borg compact`, and borg 1.1
   * at every commit, copy live objects into new segments and delete the old ones), so that
   * transaction need not be whole any more.
   */
  whyMissing(): string {
    if (this.transaction === undefined || this.transaction === this.lastTransaction || this.config.appendOnly) return '';
    return ` as of transaction ${this.transaction} (this repository is not append-only: compacting it since may have removed what that transaction held)`;
  }

  /** The segment and offset an object was read from, for messages (after `get` found it). */
  async location(id: Uint8Array): Promise<string> {
    if (this.served) return 'as the server sent it';
    const at = this.index && !this.map ? await this.index.lookup(id) : (await this.replay()).get(id);
    const file = at && this.file(at.segment);
    return file && at ? `${file.path} at byte ${at.offset}` : 'no segment';
  }

  /**
   * Every committed transaction up to the last, with where its manifest was after it: one pass
   * over the entry headers of all segments (their data is not read).
   */
  async history(): Promise<Transaction[]> {
    if (this.served) throw new UsageError('--history needs the repository\'s files (a local path or sftp://), not borg serve');
    const all = await listSegments(this.dir);
    const out: Transaction[] = [];
    let manifest: { segment: number; offset: number } | undefined;
    for (const f of all.filter((s) => s.segment <= this.lastTransaction!)) {
      let committed = false;
      for await (const e of scanSegment(await this.source(f), f, this.crc32)) {
        if (e.tag === TAG_PUT && isManifest(e.key!)) manifest = { segment: f.segment, offset: e.offset };
        else if (e.tag === TAG_DELETE && isManifest(e.key!)) manifest = undefined;
        // Committed when its last entry is a COMMIT (isCommitted): borg closes a segment at each commit.
        committed = e.tag === TAG_COMMIT;
      }
      if (committed) out.push({ id: f.segment, ...(manifest ? { manifest } : {}) });
    }
    return out;
  }

  /** The stored bytes of the manifest as it was after a transaction of `history()`. */
  async manifestOf(t: Transaction): Promise<Uint8Array | undefined> {
    if (!t.manifest) return undefined;
    const file = (await listSegments(this.dir)).find((s) => s.segment === t.manifest!.segment)!;
    return readPut(await this.source(file), file, t.manifest.offset, MANIFEST_ID, this.crc32);
  }
}

function isManifest(key: Uint8Array): boolean {
  return key.every((b) => b === 0);
}
