import { CorruptBackupError, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { sizesOf, type ChunkRef } from './chunk-list.js';
import type { Objects } from './objects.js';

/** One entry of a file item's chunk list, with where its bytes start in the file. */
interface Span {
  readonly chunk: ChunkRef;
  readonly offset: number;
  readonly size: number;
}

/**
 * A regular file of an archive as a seekable byte source, read from its chunks only where asked:
 * a Qubes backup stored in a Borg archive opens in place (its header, then only the chunks of the
 * VMs wanted), never written out first. Each chunk is authenticated and id-checked as it is read;
 * the last two are kept, since readers go forward in small steps.
 */
export function itemSource(name: string, chunks: readonly ChunkRef[], objects: Objects): ByteSource {
  const spans: Span[] = [];
  let size = 0;
  for (const c of chunks) { spans.push({ chunk: c, offset: size, size: c.size }); size += c.size; }
  const cache: { span: Span; bytes: Uint8Array }[] = [];
  const chunk = async (span: Span): Promise<Uint8Array> => {
    const hit = cache.find((x) => x.span === span);
    if (hit) return hit.bytes;
    const bytes = await objects.get(span.chunk.id, name, sizesOf(span.chunk));
    cache.unshift({ span, bytes });
    cache.length = Math.min(cache.length, 2);
    return bytes;
  };
  /** The index of the span holding byte `offset` (binary search). */
  const at = (offset: number): number => {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spans[mid]!.offset <= offset) lo = mid; else hi = mid - 1;
    }
    return lo;
  };
  const check = (offset: number) => {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new CorruptBackupError(`invalid offset ${offset}`, { member: name });
  };
  return {
    name,
    size,
    seekable: true,
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      check(offset);
      return (async function* () {
        for (let i = offset >= size ? spans.length : at(offset); i < spans.length; i++) {
          opts?.signal?.throwIfAborted();
          const bytes = await chunk(spans[i]!);
          const from = Math.max(0, offset - spans[i]!.offset);
          opts?.onProgress?.(bytes.length - from);
          yield bytes.subarray(from);
        }
      })();
    },
    async read(offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
      check(offset);
      const end = Math.min(size, offset + length);
      if (offset >= end) return new Uint8Array(0);
      const out = new Uint8Array(end - offset);
      for (let i = at(offset); i < spans.length && spans[i]!.offset < end; i++) {
        opts?.signal?.throwIfAborted();
        const s = spans[i]!;
        const bytes = await chunk(s);
        const from = Math.max(offset, s.offset);
        const to = Math.min(end, s.offset + s.size);
        out.set(bytes.subarray(from - s.offset, to - s.offset), from - offset);
      }
      opts?.onProgress?.(out.length);
      return out;
    },
  };
}
