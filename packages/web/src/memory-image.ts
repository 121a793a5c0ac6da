import { UsageError, formatBytes } from '@qubes-backup/core';
import type { ReadAt } from '@qubes-backup/image-ext4/portable';
import type { FileWriter } from './save.js';

/**
 * A decoded disk image kept in memory as its stored pieces only: holes of a sparse image take no
 * memory, so browsing a 10 GB private.img with 500 MB of data takes about 500 MB. The pieces
 * arrive in increasing offsets (a member's extents), which `readAt` searches by bisection.
 */
export interface MemoryImage {
  readonly writer: FileWriter;
  readonly size: () => number;
  readonly readAt: ReadAt;
}

/**
 * `limit`: the most data kept. Beyond it the image is refused with a way out (save the image, or
 * the command-line tool), before the browser runs out of memory and the tab dies without a word.
 */
export function memoryImage(limit: number, what: string): MemoryImage {
  const offsets: number[] = [];
  const pieces: Uint8Array[] = [];
  let size = 0;
  let held = 0;
  const readAt: ReadAt = async (position, length) => {
    const out = new Uint8Array(Math.max(0, Math.min(length, size - position)));
    const end = position + out.length;
    // The last piece starting at or before `position`, then forward while pieces overlap.
    let lo = 0;
    let hi = offsets.length - 1;
    let first = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid]! <= position) { first = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let i = first; i < offsets.length && offsets[i]! < end; i++) {
      const p = pieces[i]!;
      const from = Math.max(position, offsets[i]!);
      const to = Math.min(end, offsets[i]! + p.length);
      if (from < to) out.set(p.subarray(from - offsets[i]!, to - offsets[i]!), from - position);
    }
    return out;
  };
  return {
    size: () => size,
    readAt,
    writer: {
      async start(n) { size = n; },
      async write(offset, bytes) {
        held += bytes.length;
        if (held > limit) {
          offsets.length = 0;
          pieces.length = 0;
          throw new UsageError(
            `${what} holds more data than this page can keep in memory to browse it (more than ${formatBytes(limit)}). ` +
            'Save the whole image instead, or use the command-line tool (qubes-backup files and get), which reads it from disk',
          );
        }
        // Decoders may reuse nothing they yielded (core's contract), so the piece is kept as is.
        offsets.push(offset);
        pieces.push(bytes);
      },
      async finish() {},
      async abort() { offsets.length = 0; pieces.length = 0; },
    },
  };
}
