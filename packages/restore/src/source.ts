import { createReadStream, promises as fsp } from 'node:fs';
import { IoError, asByteStream, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';

const HIGH_WATER_MARK = 1 << 20;

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
      return counting(createReadStream(path, { start: offset, highWaterMark: HIGH_WATER_MARK, signal: opts?.signal }), path, opts);
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
