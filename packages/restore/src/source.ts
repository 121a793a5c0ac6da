import { promises as fsp } from 'node:fs';
import { IoError, asByteStream, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';

/**
 * Reads start at one page and double: a reader that takes a header and seeks on (the key look-ahead,
 * `--vm`) reads about 4 KiB per skipped chunk (tar + PAX headers 1.5 KiB, scrypt header 96 B). At
 * 64 KiB, `--vm` of a 5 MiB VM behind a 1 GiB one read 14 % more than the VM's own members. A long
 * read reaches 1 MiB pieces after 8 reads.
 */
const FIRST_READ = 4 << 10;
const MAX_READ = 1 << 20;

async function* readFrom(path: string, offset: number, signal?: AbortSignal): ByteStream {
  let size = FIRST_READ;
  let pos = offset;
  for (;;) {
    signal?.throwIfAborted();
    // Opened per read: a reader that stops early (info, a skip) must not leave a descriptor behind.
    const fh = await fsp.open(path, 'r');
    let bytesRead: number;
    const buf = Buffer.allocUnsafe(size);
    try {
      ({ bytesRead } = await fh.read(buf, 0, size, pos));
    } finally {
      await fh.close();
    }
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
    size = Math.min(size * 2, MAX_READ);
  }
}

/** A backup file on disk: seekable, so unselected members can be skipped without reading them. */
export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) return { name: path, seekable: false, stream: () => { throw new IoError(`'${path}' is a directory`); } };
    size = st.size;
  } catch (e) {
    throw new IoError(`cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  return {
    name: path,
    size,
    seekable: true,
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      return counting(readFrom(path, offset, opts?.signal), path, opts);
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
