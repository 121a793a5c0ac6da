import { ByteReader, CorruptBackupError, UnsupportedError, concatBytes, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { LzmaDecoder, MAX_STEP_INPUT } from './lzma-decoder.js';

const OUT_PIECE = 256 * 1024;
const IN_PIECE = 64 * 1024;
/** Largest dictionary accepted (`lzma -9` uses 64 MiB; xz allows up to 1.5 GiB). */
export const MAX_DICT = 2 ** 30;

const corrupt = (cause: string): CorruptBackupError => new CorruptBackupError(`lzma: ${cause}`);
const le32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** The 13-byte LZMA_Alone header: properties (lc, lp, pb), dictionary size, uncompressed size or "unknown". */
export interface LzmaAloneHeader {
  readonly lc: number;
  readonly lp: number;
  readonly pb: number;
  readonly dictSize: number;
  /** Undefined when the header says "unknown" (then the data must end with an end marker). */
  readonly uncompressedSize?: number;
}

export function parseLzmaHeader(h: Uint8Array): LzmaAloneHeader {
  let d = h[0]!;
  if (d >= 9 * 5 * 5) throw corrupt('not lzma data (bad properties byte)');
  const lc = d % 9;
  d = Math.floor(d / 9);
  const lp = d % 5;
  const pb = Math.floor(d / 5);
  const dictSize = le32(h, 1);
  const lo = le32(h, 5), hi = le32(h, 9);
  const base = { lc, lp, pb, dictSize };
  if (lo === 0xffffffff && hi === 0xffffffff) return base;
  // liblzma refuses sizes ≥ 2^38 in .lzma headers; bigger ones mean this is not .lzma data.
  if (hi >= 2 ** 6) throw corrupt('not lzma data (implausible uncompressed size)');
  return { ...base, uncompressedSize: hi * 2 ** 32 + lo };
}

/**
 * Decodes legacy `.lzma` (LZMA_Alone, as `lzma` / `xz --format=lzma` write it) as a stream, with
 * memory bounded by the dictionary (grown only as output arrives). Ends at the declared size or
 * at the end marker; anything after is an error. `.lzma` has no checksum: corruption is caught only
 * when it breaks the structure.
 */
export async function* unlzma(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const reader = new ByteReader(data);
  try {
    const head = await reader.read(13);
    if (head.length === 0) throw corrupt('empty input');
    if (head.length < 13) throw corrupt('truncated input (in the header)');
    const header = parseLzmaHeader(head);
    if (header.dictSize > MAX_DICT) {
      throw new UnsupportedError(`lzma: dictionary of ${Math.round(header.dictSize / 2 ** 20)} MiB is above this decoder's limit of ${MAX_DICT / 2 ** 20} MiB`);
    }
    const dec = new LzmaDecoder(header, header.uncompressedSize);
    let cur: Uint8Array = new Uint8Array(0);
    let ended = false;
    // Keeps at least MAX_STEP_INPUT bytes ahead of the decoder, which reads synchronously.
    const refill = async (): Promise<void> => {
      while (!ended && dec.unread() < MAX_STEP_INPUT) {
        const more = await reader.readSome(IN_PIECE);
        if (more.length === 0) { ended = true; break; }
        cur = concatBytes([cur.subarray(cur.length - dec.unread()), more]);
        dec.feed(cur);
      }
    };
    await refill();
    dec.init();
    const w = dec.window;
    while (!dec.finished) {
      signal?.throwIfAborted();
      await refill();
      while (!dec.finished && (ended || dec.unread() >= MAX_STEP_INPUT) && w.pending() < OUT_PIECE) dec.step();
      if (dec.finished || w.pending() >= OUT_PIECE) w.flush();
      yield* w.pieces.splice(0);
    }
    if (dec.unread() > 0 || !(await reader.atEnd())) throw corrupt('garbage after the end of the stream');
  } finally {
    await reader.close();
  }
}
