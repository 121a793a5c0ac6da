import { CorruptBackupError, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { fetchChunk, type ChunkRef } from './chunk-list.js';
import { ChunkPrefetch, type Slot } from './chunk-prefetch.js';
import type { Objects } from './objects.js';

/** Chunks a stream fetches ahead at most (the prefetch's own byte budget may allow fewer). */
const MAX_READ_AHEAD = 16;

/** One entry of a file item's chunk list, with where its bytes start in the file. */
interface Span {
  readonly chunk: ChunkRef;
  readonly offset: number;
}

/**
 * A regular file of an archive as a seekable byte source, read from its chunks only where asked:
 * a Qubes backup stored in a Borg archive opens in place (its header, then only the chunks of the
 * VMs wanted), never written out first. Each chunk is authenticated and id-checked as it is read;
 * a stream fetches its chunks ahead, and reads keep the last two, since readers go forward in small steps.
 */
export function itemSource(name: string, chunks: readonly ChunkRef[], objects: Objects): ByteSource {
  const spans: Span[] = [];
  let size = 0;
  for (const c of chunks) { spans.push({ chunk: c, offset: size }); size += c.size; }
  const cache: { span: Span; bytes: Uint8Array }[] = [];
  const fetch = fetchChunk(objects);
  const prefetch = new ChunkPrefetch(fetch);
  const chunk = async (span: Span): Promise<Uint8Array> => {
    const hit = cache.find((x) => x.span === span);
    if (hit) return hit.bytes;
    const bytes = await fetch(span.chunk, name);
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
        // Chunks are fetched ahead of the reader, one at first, twice as many after each taken (up
        // to the prefetch's bounds): a reader that stops after a header (a skipped VM) costs one
        // chunk more, one that reads on gets them ahead. What it did not take is let go when it stops.
        const first = offset >= size ? spans.length : at(offset);
        const slots: Slot[] = [];
        const planTo = (n: number) => {
          const upTo = Math.min(n, spans.length - first);
          if (upTo > slots.length) slots.push(...prefetch.plan(spans.slice(first + slots.length, first + upTo).map((s) => s.chunk), name));
        };
        try {
          for (let k = 0, ahead = 1; k < spans.length - first; k++, ahead = Math.min(ahead * 2, MAX_READ_AHEAD)) {
            opts?.signal?.throwIfAborted();
            planTo(k + 1 + ahead);
            const bytes = await prefetch.take(slots[k]!);
            const from = Math.max(0, offset - spans[first + k]!.offset);
            opts?.onProgress?.(bytes.length - from);
            yield bytes.subarray(from);
          }
        } finally {
          prefetch.drop(slots);
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
        const to = Math.min(end, s.offset + s.chunk.size);
        out.set(bytes.subarray(from - s.offset, to - s.offset), from - offset);
      }
      opts?.onProgress?.(out.length);
      return out;
    },
  };
}
