import { closeSync, constants, createReadStream, fstatSync, openSync, promises as fsp, readSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { IoError, type ByteSource, type ByteStream, type DirectorySource, type ReadOptions } from '@qubes-backup/core';

/**
 * Reads start at one page and double: a reader that takes a header and seeks on (the key look-ahead,
 * `--vm`) reads about 4 KiB per skipped chunk (tar + PAX headers 1.5 KiB, scrypt header 96 B). At
 * 64 KiB, `--vm` of a 5 MiB VM behind a 1 GiB one read 14 % more than the VM's own members. A long
 * read reaches 1 MiB pieces after 8 reads.
 */
const FIRST_READ = 4 << 10;
const MAX_READ = 1 << 20;

/** How long a file stays open after its last read: readers going on soon reuse the descriptor. */
const IDLE_CLOSE_MS = 100;

/**
 * One descriptor per file, shared by its reads and opened on demand: a Borg restore makes thousands
 * of small reads on the same segments, and an open + close per read cost a third of its I/O time.
 * It is closed when no read has run for a moment, so a reader that stops early (info, a skip)
 * leaves no descriptor behind and needs no close call.
 */
function sharedHandle(path: string): <T>(use: (fh: FileHandle) => Promise<T>) => Promise<T> {
  let handle: Promise<FileHandle> | undefined;
  let busy = 0;
  let timer: NodeJS.Timeout | undefined;
  const closeIdle = () => {
    if (busy || !handle) return;
    const h = handle;
    handle = undefined;
    void h.then((fh) => fh.close()).catch(() => undefined);
  };
  return async (use) => {
    busy++;
    try {
      handle ??= fsp.open(path, 'r');
      const h = handle;
      return await use(await h.catch((e: unknown) => { if (handle === h) handle = undefined; throw e; }));
    } finally {
      busy--;
      if (!busy) {
        if (timer) timer.refresh();
        else timer = setTimeout(closeIdle, IDLE_CLOSE_MS).unref();
      }
    }
  };
}

async function* readFrom(withHandle: ReturnType<typeof sharedHandle>, offset: number, signal?: AbortSignal): ByteStream {
  let size = FIRST_READ;
  let pos = offset;
  for (;;) {
    signal?.throwIfAborted();
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await withHandle((fh) => fh.read(buf, 0, size, pos));
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
    size = Math.min(size * 2, MAX_READ);
  }
}

/** A backup file on disk: seekable, so unselected members can be skipped without reading them. */
export async function fileSource(path: string): Promise<ByteSource> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? `no such file: '${path}'` : `cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  if (st.isDirectory()) throw new IoError(`'${path}' is a folder, not a file`);
  const size = st.size;
  const withHandle = sharedHandle(path);
  return {
    name: path,
    size,
    seekable: true,
    local: true,
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      return counting(readFrom(withHandle, offset, opts?.signal), path, opts);
    },
    async read(offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
      opts?.signal?.throwIfAborted();
      const buf = new Uint8Array(length);
      let got = 0;
      try {
        await withHandle(async (fh) => {
          while (got < length) {
            const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
        });
      } catch (e) {
        throw new IoError(`reading ${path} at byte ${offset} failed: ${(e as Error).message}`, { cause: e });
      }
      opts?.onProgress?.(got);
      return got === length ? buf : buf.subarray(0, got);
    },
  };
}

/** A folder on disk (a Borg repository, a format-1 backup): entries listed, files opened as seekable sources. */
export function directorySource(path: string): DirectorySource {
  return {
    name: path,
    localPath: path,
    async list(rel) {
      try {
        const entries = await fsp.readdir(join(path, rel), { withFileTypes: true });
        const typed = await Promise.all(entries.map(async (e) => {
          // A link is what it points to (stat follows it); one that points nowhere stays `other`.
          const st: { isFile(): boolean; isDirectory(): boolean } = e.isSymbolicLink() ? await fsp.stat(join(path, rel, e.name)).catch(() => e) : e;
          return { name: e.name, type: st.isFile() ? 'file' as const : st.isDirectory() ? 'dir' as const : 'other' as const };
        }));
        return typed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (e) {
        throw new IoError(`cannot list '${join(path, rel)}': ${(e as Error).message}`, { cause: e });
      }
    },
    file: (rel) => fileSource(join(path, rel)),
    // Synchronous on purpose: a Wyng volume is thousands of files of a chunk each, and four thread-pool
    // round trips per file (stat, open, read, close) cost more than reading it.
    async readSmall(rel, max) {
      const file = join(path, rel);
      let fd;
      try {
        // Without waiting: a named pipe put where a file should be would block the open until a writer came.
        fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new IoError(`cannot open '${file}': ${(e as Error).message}`, { cause: e });
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new Error('not a regular file');
        // Sized by the file, not by `max`: a manifest's bound is the volume's worst case, its file far less.
        const buf = new Uint8Array(Math.min(st.size, max) + 1);
        let got = 0;
        for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, got)) > 0;) got += n;
        return buf.subarray(0, got);
      } catch (e) {
        throw new IoError(`reading '${file}' failed: ${(e as Error).message}`, { cause: e });
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * A pipe whose first `n` bytes were read ahead (to recognize the format) and are given again:
 * `stream(0)` yields them, then the rest of the pipe.
 */
export async function withHead(source: ByteSource, n: number): Promise<{ head: Uint8Array; source: ByteSource }> {
  const it = source.stream(0)[Symbol.asyncIterator]();
  const pieces: Uint8Array[] = [];
  let got = 0;
  let ended = false;
  while (got < n) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    pieces.push(r.value);
    got += r.value.length;
  }
  const all = new Uint8Array(got);
  let o = 0;
  for (const p of pieces) { all.set(p, o); o += p.length; }
  let used = false;
  return {
    head: all.subarray(0, Math.min(n, got)),
    source: {
      name: source.name,
      seekable: false,
      stream(offset = 0): ByteStream {
        if (used || offset !== 0) throw new IoError(`${source.name} is a pipe: it can be read only once, from the start`);
        used = true;
        return (async function* replay() {
          if (all.length) yield all;
          if (ended) return;
          for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
        })();
      },
    },
  };
}

/** A pipe (standard input): one sequential pass. */
export function pipeSource(stream: NodeJS.ReadableStream, name = '-'): ByteSource {
  let used = false;
  return {
    name,
    seekable: false,
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      if (used || offset !== 0) throw new IoError(`${name} is a pipe: it can be read only once, from the start`);
      used = true;
      return counting(stream as AsyncIterable<unknown>, name, opts);
    },
  };
}

/**
 * A path that is neither a file nor a folder: a named pipe (`mkfifo`), a process substitution
 * (`<(...)`, a /dev/fd/N pipe), /dev/stdin fed by a pipe, a character device (a tape). Positioned
 * reads fail there (ESPIPE), so it is read like standard input: once, from the start.
 * A pipe is opened without waiting for a writer (O_NONBLOCK), and read through the event loop: a
 * plain open() would wait in a thread of libuv's pool until something writes, and a process with
 * such a thread cannot even exit, so Ctrl-C could not end a run waiting on a pipe nobody feeds.
 * Until the first bytes come, `onStatus` says what the run waits for (a progress line would
 * otherwise sit at 0 B with no reason given).
 */
export function streamSource(path: string, st: Stats, { signal: stopAll, onStatus }: Pick<ReadOptions, 'signal' | 'onStatus'> = {}): ByteSource {
  let used = false;
  let reader: NodeJS.ReadableStream & { destroy(): void } | undefined;
  return {
    name: path,
    seekable: false,
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      if (used || offset !== 0) throw new IoError(`${path} is a pipe: it can be read only once, from the start`);
      used = true;
      return (async function* read() {
        // The format's first read (the probe) passes no signal: the run's stops the wait as well.
        const signal = opts?.signal ?? stopAll;
        let waiting = st.isFIFO();
        if (waiting) onStatus?.(`waiting for data on the pipe '${path}'`);
        // An interruption ends the wait at once, not at the next byte that may never come.
        const stop = () => reader?.destroy();
        signal?.addEventListener('abort', stop, { once: true });
        try {
          reader = st.isFIFO()
            ? new Socket({ fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false })
            : createReadStream(path, { highWaterMark: MAX_READ });
          for await (const c of counting(reader, path, opts)) {
            if (waiting) { waiting = false; onStatus?.(undefined); }
            yield c;
          }
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          throw e;
        } finally {
          if (waiting) onStatus?.(undefined);
          signal?.removeEventListener('abort', stop);
          reader?.destroy();
        }
        if (signal?.aborted) throw signal.reason;
      })();
    },
    async close() { reader?.destroy(); },
  };
}

/** Adapts a Node-style or WHATWG readable of bytes (anything async-iterable) to a ByteStream of Uint8Array. */
async function* asByteStream(source: AsyncIterable<unknown>): ByteStream {
  for await (const c of source) {
    if (c instanceof Uint8Array) yield c;
    else if (typeof c === 'string') yield new TextEncoder().encode(c);
    else throw new TypeError('stream produced a non-byte chunk');
  }
}

async function* counting(stream: AsyncIterable<unknown>, name: string, opts?: ReadOptions): ByteStream {
  try {
    for await (const c of asByteStream(stream)) {
      opts?.onProgress?.(c.length);
      yield c;
    }
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') throw e;
    throw new IoError(`reading ${name} failed: ${(e as Error).message}`, { cause: e });
  }
}
