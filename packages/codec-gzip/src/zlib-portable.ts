import { Unzlib } from 'fflate';
import { concatBytes, type ByteStream, type Compressor, type PluginDescriptor, type ReadOptions } from '@qubes-backup/core';
import { adler32 } from './adler32.js';
import { corruptZlib as corrupt } from './errors.js';
import { PushOutput, inputPieces } from './_pieces.js';

/** As for gunzip: one push inflates all it can, so 16 KiB in is at most ~16.5 MiB out per push. */
const IN_PIECE = 16 * 1024;
const OUT_PIECE = 1 << 20;
/** The smallest zlib stream: a 2-byte header, an empty fixed-Huffman block (2 bytes), Adler-32. */
const MIN_STREAM = 8;

/** The parts of fflate 0.8's Unzlib state this file reads; see `afterDeflate`. */
interface UnzlibState {
  /** Input not yet consumed; after a push it starts at the byte holding bit position `s.p`. */
  p?: unknown;
  /** Header still to parse (1) or parsed (0). */
  v?: unknown;
  /** Inflate state: `f` the last block was started, `l` its code table while it runs, `p` bit position. */
  s?: { f?: unknown; l?: unknown; p?: unknown };
}

/**
 * The bytes after the deflate data once fflate has read its last block, else undefined. fflate
 * has no public way to say where deflate data ends (Gunzip uses the same test to find the next
 * member), and the trailer's place is what tells a clean end from trailing bytes. The shape is
 * checked on every call so a changed fflate fails loudly instead of decoding loosely.
 */
function afterDeflate(uz: Unzlib): Uint8Array | undefined {
  const u = uz as unknown as UnzlibState;
  const st = u.s;
  if (!(u.p instanceof Uint8Array) || typeof st !== 'object' || st === null || (st.p !== undefined && typeof st.p !== 'number')) {
    throw new Error('codec-gzip: fflate\'s Unzlib state is not the expected shape (fflate 0.8); cannot find the end of the stream');
  }
  if (u.v || !st.f || st.l) return undefined;
  // The deflate data ends inside the first byte of `p` when bits of it were used (s.p in 0..7).
  return u.p.subarray(((st.p as number | undefined) ?? 0) > 0 ? 1 : 0);
}

/** fflate's messages in this package's words. */
function fflateCause(message: string, final: boolean): string {
  if (message === 'unexpected EOF') return 'truncated input (unexpected end of file)';
  // Unzlib says this of a bad header, and at the final push of fewer than 4 bytes left for the
  // trailer: the deflate data ran into the last bytes, so the stream was cut.
  if (message === 'invalid zlib data') return final ? 'truncated input (unexpected end of file)' : 'not a zlib stream (bad header)';
  if (message.startsWith('invalid zlib data: ')) return `not a stream this decoder reads (${message.slice(19)})`;
  return message;
}

const be32 = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;

/**
 * A zlib stream (RFC 1950) with fflate's Unzlib (no node:* imports). Unzlib checks the header but
 * never the Adler-32 trailer (it drops the last 4 bytes unread) and ignores bytes after the
 * deflate data, so the output's Adler-32 is computed here and compared with the 4 bytes that
 * follow the deflate data, and the stream must end right after them.
 */
export async function* unzlibPortable(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const produced = new PushOutput(OUT_PIECE);
  let adler = 1;
  const uz = new Unzlib((chunk) => {
    if (chunk.length === 0) return;
    adler = adler32(chunk, adler);
    produced.add(chunk);
  });
  let total = 0;
  // The last 4 input bytes (the trailer, when the deflate end is found only by the final push).
  let last4 = new Uint8Array(0);
  // Bytes after the deflate data, once its end was seen: the trailer, and nothing more.
  let after: Uint8Array[] | undefined;
  let afterLength = 0;

  const push = (piece: Uint8Array, final: boolean): void => {
    try {
      uz.push(piece, final);
    } catch (e) {
      throw corrupt(fflateCause(e instanceof Error ? e.message : String(e), final), e);
    }
  };
  const addAfter = (bytes: Uint8Array): void => {
    after!.push(bytes);
    afterLength += bytes.length;
    if (afterLength > 4) throw corrupt('garbage after the zlib stream');
  };

  for await (const piece of inputPieces(data, IN_PIECE, signal, produced)) {
    total += piece.length;
    last4 = concatBytes([last4, piece.subarray(Math.max(0, piece.length - 4))]).slice(-4);
    if (after) { addAfter(piece); continue; }
    push(piece, false);
    yield* produced.drain();
    const rest = afterDeflate(uz);
    if (rest) { after = []; addAfter(rest); }
  }
  signal?.throwIfAborted();
  if (total === 0) throw corrupt('empty input');
  if (total < MIN_STREAM) throw corrupt('truncated input (shorter than a zlib header, deflate data and trailer)');
  let trailer: Uint8Array;
  if (after) {
    if (afterLength < 4) throw corrupt('truncated input (in the Adler-32 trailer)');
    trailer = concatBytes(after);
  } else {
    // The final push takes the last 4 bytes as the trailer and inflates what is before them.
    push(new Uint8Array(0), true);
    yield* produced.drain();
    const rest = afterDeflate(uz);
    if (!rest) throw corrupt('truncated input (the deflate data does not end)');
    if (rest.length > 0) throw corrupt('garbage after the zlib stream');
    trailer = last4;
  }
  if (be32(trailer) !== adler) throw corrupt('Adler-32 mismatch (data corrupt)');
}

const info = { kind: 'compressor', name: 'zlib', backend: 'portable' } as const;

/** zlib streams (RFC 1950, Borg's `zlib`) on fflate, with the Adler-32 check fflate leaves out. */
export const zlibPortable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: unzlibPortable }),
};
