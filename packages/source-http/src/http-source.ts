import { IoError, concatBytes, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { checkResponse, fetchRange, Final, get, parseContentRange, retrying, shownUrl, unwrap, type Remote } from './_fetch.js';

/**
 * The first request asks for this much: formats look at a file's first 64 KiB to recognize it, so
 * the probe and the format's first look cost one round trip, and the answer tells whether the
 * server takes ranges at all.
 */
const HEAD_BYTES = 64 << 10;

/**
 * The remote file is read in blocks of this size, kept in a cache shared by every read and stream
 * of the source: a format that scans ahead (v4's key look-ahead reads each chunk's head in a
 * second pass over the same members) gets bytes the first pass already fetched for free. Small,
 * so a reader that takes a member's header and seeks on wastes little.
 */
const BLOCK = 16 << 10;
/** The cache's bound: enough for the look-ahead of a few streams, far below a restore's other buffers. */
const CACHE_BYTES = 32 << 20;
/** A stream keeps requested ahead of its reader up to half of what it consumed, at most this (several ranges in flight). */
const MAX_AHEAD = 8 << 20;
/** The longest single range request: four of them fill the read-ahead. */
const MAX_RUN = 2 << 20;

export interface HttpSourceOptions {
  /** The `Authorization` header value (`Bearer …`, `Basic …`), if the server wants one. */
  readonly authorization?: string;
  readonly signal?: AbortSignal;
}

/** A remote file plus the bytes the first request already brought. */
interface Opened {
  readonly remote: Remote;
  readonly head: Uint8Array;
  /** A server that ignored the range: its whole-file response, to be read once from the start. */
  readonly whole?: Response;
}

/**
 * A file behind an `http://` or `https://` URL. A server that takes range requests gives a seekable
 * source (reads ask for just their bytes, streams read ahead a few ranges); one that does not, a
 * source read once from the start (like a pipe) over the response the first request already got.
 * Progress (`onProgress`) counts bytes received from the network, read-ahead included.
 */
export async function httpSource(url: string, headers: Readonly<Record<string, string>>, opts: HttpSourceOptions = {}): Promise<ByteSource & { readonly transferred: number }> {
  const { remote, head, whole } = await openRemote(url, headers, opts.signal).catch((e: unknown) => { throw unwrap(e); });
  return whole ? sequential(remote, whole) : ranged(remote, head);
}

async function openRemote(url: string, headers: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<Opened> {
  const remote: Remote = { url, label: shownUrl(url), headers, transferred: 0 };
  let whole: Response | undefined;
  const pieces: Uint8Array[] = [];
  let got = 0;
  // The first answer sets what later ones must match: its validators, and the length from Content-Range.
  // Asked again as every range is: a busy server (503, 429 with Retry-After) or a dropped connection at the start is not the end.
  const first = await retrying(`reaching '${remote.label}'`, () => get(remote, { range: `bytes=0-${HEAD_BYTES - 1}` }, signal ?? new AbortController().signal), signal);
  remote.etag = first.headers.get('etag') ?? undefined;
  remote.lastModified = first.headers.get('last-modified') ?? undefined;
  if (first.status === 206) {
    const range = parseContentRange(first.headers.get('content-range'));
    if (!range || range.start !== 0) {
      await first.body?.cancel().catch(() => undefined);
      throw new IoError(`'${remote.label}': the server answered a range request without a valid Content-Range`);
    }
    remote.size = range.total;
    checkResponse(remote, first, 0);
    for await (const p of bodyOf(remote, first)) { pieces.push(p); got += p.length; }
    // A dropped first answer is finished like any range: from the first byte not received.
    const want = Math.min(HEAD_BYTES, range.total);
    if (got < want) await fetchRange(remote, got, want, (p) => { pieces.push(p); got += p.length; }, signal ? { signal } : undefined);
  } else {
    whole = first;
    const length = first.headers.get('content-length');
    if (length !== null && /^\d+$/.test(length) && first.headers.get('content-encoding') === null) remote.size = Number(length);
  }
  return { remote, head: pieces.length === 1 ? pieces[0]! : concatBytes(pieces), ...(whole ? { whole } : {}) };
}

/** A response body as pieces, counted as transferred. */
async function* bodyOf(remote: Remote, res: Response, opts?: ReadOptions): ByteStream {
  const reader = res.body!.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      remote.transferred += r.value.length;
      opts?.onProgress?.(r.value.length);
      yield r.value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** One cached block: resolved once its bytes arrived. */
interface Block {
  readonly bytes: Promise<Uint8Array>;
  /** The bytes once they arrived, so a stream can take the blocks after an awaited one without waiting again. */
  value?: Uint8Array;
  resolve(b: Uint8Array): void;
  reject(e: unknown): void;
}

/**
 * Blocks of the remote file by index, least recently used first (a Map keeps insertion order; a
 * hit moves the block to the end). Missing blocks are asked for in runs, one range request per run,
 * each block resolved as soon as its bytes arrived (a stream need not wait for a whole run).
 */
class BlockCache {
  private readonly blocks = new Map<number, Block>();
  /** Bytes handed out before any read counted them (the first answer): given to the next read that counts. */
  private unreported: number;

  constructor(private readonly remote: Remote, head: Uint8Array) {
    this.unreported = remote.transferred;
    for (let i = 0; (i + 1) * BLOCK <= head.length || (i * BLOCK < head.length && head.length === remote.size); i++) {
      const b = block();
      b.resolve(head.subarray(i * BLOCK, Math.min((i + 1) * BLOCK, head.length)));
      this.blocks.set(i, b);
    }
  }

  get count(): number { return Math.ceil(this.remote.size! / BLOCK); }

  /** Reports bytes fetched before this call to its progress callback. */
  report(opts?: ReadOptions): void {
    if (this.unreported && opts?.onProgress) { opts.onProgress(this.unreported); this.unreported = 0; }
  }

  /** The block's bytes, fetching it (and nothing else) when no request holds it yet. */
  get(i: number, opts?: ReadOptions): Promise<Uint8Array> {
    this.request(i, i + 1, opts);
    const b = this.blocks.get(i)!;
    this.blocks.delete(i);
    this.blocks.set(i, b);
    return b.bytes;
  }

  /** The block's bytes if they already arrived (no request, no wait). */
  peek(i: number): Uint8Array | undefined {
    return this.blocks.get(i)?.value;
  }

  /** Makes sure blocks `[from, to)` are cached or asked for: each run of missing ones is one range request of at most MAX_RUN. */
  request(from: number, to: number, opts?: ReadOptions): void {
    to = Math.min(to, this.count);
    for (let i = from; i < to;) {
      if (this.blocks.has(i)) { i++; continue; }
      let j = i + 1;
      while (j < to && !this.blocks.has(j) && (j - i) * BLOCK < MAX_RUN) j++;
      this.fetch(i, j, opts);
      i = j;
    }
    this.evict();
  }

  private fetch(from: number, to: number, opts?: ReadOptions): void {
    const pending: Block[] = [];
    for (let i = from; i < to; i++) { const b = block(); pending.push(b); this.blocks.set(i, b); }
    const start = from * BLOCK;
    const end = Math.min(to * BLOCK, this.remote.size!);
    // One buffer per run, blocks as views of it: a stream hands on the resolved blocks that follow
    // each other as one piece (a view, no copy) instead of one piece per 16 KiB.
    const run = new Uint8Array(end - start);
    let index = 0;
    let filled = 0;
    const take = (piece: Uint8Array) => {
      run.set(piece, filled);
      filled += piece.length;
      while (index < pending.length && filled >= Math.min((index + 1) * BLOCK, run.length)) {
        pending[index]!.resolve(run.subarray(index * BLOCK, Math.min((index + 1) * BLOCK, run.length)));
        index++;
      }
    };
    fetchRange(this.remote, start, end, take, opts).catch((e: unknown) => {
      // Blocks not received are dropped, so a later read asks again (after a cancelled stream, say).
      for (let i = index; i < pending.length; i++) {
        pending[i]!.reject(e);
        if (this.blocks.get(from + i) === pending[i]) this.blocks.delete(from + i);
      }
    });
  }

  private evict(): void {
    const limit = Math.ceil(CACHE_BYTES / BLOCK);
    for (const i of this.blocks.keys()) {
      if (this.blocks.size <= limit) break;
      this.blocks.delete(i);
    }
  }
}

function block(): Block {
  let settle!: (b: Uint8Array) => void;
  let reject!: (e: unknown) => void;
  const bytes = new Promise<Uint8Array>((res, rej) => { settle = res; reject = rej; });
  bytes.catch(() => undefined); // awaited by whoever reads the block; one nobody reads fails silently
  const b: Block = { bytes, resolve: (v) => { b.value = v; settle(v); }, reject };
  return b;
}

function ranged(remote: Remote, head: Uint8Array): ByteSource & { readonly transferred: number } {
  const size = remote.size!;
  const cache = new BlockCache(remote, head);
  return {
    name: remote.label,
    size,
    seekable: true,
    get transferred() { return remote.transferred; },
    async read(offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
      opts?.signal?.throwIfAborted();
      cache.report(opts);
      const end = Math.min(offset + length, size);
      if (end <= offset) return new Uint8Array(0);
      const first = Math.floor(offset / BLOCK);
      const last = Math.ceil(end / BLOCK);
      cache.request(first, last, opts);
      const out = new Uint8Array(end - offset);
      for (let i = first; i < last; i++) {
        const b = await cache.get(i, opts);
        const from = Math.max(offset, i * BLOCK);
        const to = Math.min(end, i * BLOCK + b.length);
        out.set(b.subarray(from - i * BLOCK, to - i * BLOCK), from - offset);
      }
      return out;
    },
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      return streamFrom(cache, size, offset, opts);
    },
  };
}

/**
 * The bytes from `offset` to the end, block by block, with ranges requested ahead of the reader: up
 * to half of what it consumed so far (a reader that stops early leaves little fetched for nothing),
 * at most MAX_AHEAD. A refill waits until half the window is used, so requests stay long.
 */
async function* streamFrom(cache: BlockCache, size: number, offset: number, opts?: ReadOptions): ByteStream {
  cache.report(opts);
  let pos = offset;
  let consumed = 0;
  let requested = Math.floor(pos / BLOCK);
  while (pos < size) {
    opts?.signal?.throwIfAborted();
    const i = Math.floor(pos / BLOCK);
    const want = Math.min(MAX_AHEAD, Math.max(BLOCK, consumed / 2));
    const ahead = requested * BLOCK - pos;
    if (ahead <= want / 2) {
      const to = Math.ceil((pos + want) / BLOCK) + 1;
      cache.request(Math.max(i, requested), to, opts);
      requested = Math.max(requested, Math.min(to, cache.count));
    }
    const b = await cache.get(i, opts);
    let piece = b.subarray(pos - i * BLOCK);
    if (piece.length === 0) break;
    // Blocks after it that arrived already and lie next to it in the same run's buffer go along.
    for (let j = i + 1, n = cache.peek(j); n && n.buffer === piece.buffer && n.byteOffset === piece.byteOffset + piece.length; n = cache.peek(++j)) {
      piece = new Uint8Array(piece.buffer, piece.byteOffset, piece.length + n.length);
    }
    pos += piece.length;
    consumed += piece.length;
    yield piece;
  }
}

/**
 * A server without range support: the first answer is the whole file, read once from the start.
 * A dropped connection is asked again and the bytes already given skipped (the server cannot start
 * in the middle), with the validators checked like any answer.
 */
function sequential(remote: Remote, first: Response): ByteSource & { readonly transferred: number } {
  let used = false;
  return {
    name: remote.label,
    ...(remote.size !== undefined ? { size: remote.size } : {}),
    seekable: false,
    get transferred() { return remote.transferred; },
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      if (used || offset !== 0) throw new IoError(`${remote.label}: the server does not take range requests, so it is read once, from the start`);
      used = true;
      return wholeFile(remote, first, opts);
    },
  };
}

async function* wholeFile(remote: Remote, first: Response, opts?: ReadOptions): ByteStream {
  let pos = 0;
  let res: Response | undefined = first;
  for (let failures = 0; ;) {
    let skip = pos;
    try {
      res ??= await get(remote, {}, opts?.signal ?? new AbortController().signal);
      checkResponse(remote, res, 0);
      for await (const p of bodyOf(remote, res, opts)) {
        if (skip >= p.length) { skip -= p.length; continue; }
        const piece = skip ? p.subarray(skip) : p;
        skip = 0;
        pos += piece.length;
        failures = 0;
        yield piece;
      }
      if (remote.size !== undefined && pos < remote.size) throw new Error(`the connection closed at byte ${pos} of ${remote.size}`);
      return;
    } catch (e) {
      if (opts?.signal?.aborted) throw opts.signal.reason;
      if (e instanceof Final) throw e.error;
      if (++failures >= 6) throw new IoError(`reading '${remote.label}' failed at byte ${pos}: ${(e as Error).message}`, { cause: e });
      res = undefined;
      await new Promise((r) => setTimeout(r, 100 * 2 ** failures));
    }
  }
}
