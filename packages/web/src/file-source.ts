import { ByteReader, IoError, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';

/**
 * Reads start small and double up to 4 MiB: a format that reads a header and seeks on (skipping a
 * VM's chunks) reads little per skip, while a long read soon moves big pieces (one `arrayBuffer`
 * call per piece costs about the same at 4 KiB as at 4 MiB).
 */
const FIRST_READ = 4 << 10;
const MAX_READ = 4 << 20;

/**
 * A backup file chosen in the page as a seekable ByteSource. Every read is a `Blob.slice(...)
 * .arrayBuffer()` of just the bytes asked for, so a 50 GB backup is never held in memory.
 */
export function blobSource(file: Blob, name: string): ByteSource {
  const read = async (offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> => {
    opts?.signal?.throwIfAborted();
    const end = Math.min(file.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
    } catch (e) {
      // Chromium says NotReadableError when the file changed or its drive went away after it was chosen.
      throw new IoError(`reading '${name}' at byte ${offset} failed: ${(e as Error).message}`, { cause: e });
    }
    opts?.onProgress?.(bytes.length);
    return bytes;
  };
  return {
    name,
    size: file.size,
    seekable: true,
    read,
    stream: (offset = 0, opts?: ReadOptions): ByteStream => ByteReader.pieces(read, file.size, offset, opts, { first: FIRST_READ, max: MAX_READ }),
  };
}
