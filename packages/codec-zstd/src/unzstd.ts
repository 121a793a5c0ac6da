import { Decompress } from 'fzstd';
import { ByteReader, CorruptBackupError, concatBytes, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { ZSTD_MAGIC, headerLength, isSkippableMagic, parseFrameHeader } from './frame.js';
import { Xxh64 } from './xxh64.js';
import { decodeWholeFrames } from './whole-frame.js';

const corrupt = (cause: string, error?: unknown): CorruptBackupError =>
  new CorruptBackupError(`zstd: ${cause}`, error === undefined ? {} : { cause: error });

const le32 = (b: Uint8Array, o = 0): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** fzstd's error codes (ZstdErrorCode) in words. */
const FZSTD_CAUSE = ['data corrupt', 'window too large', 'data corrupt (invalid block type)', 'data corrupt (FSE accuracy too high)',
  'data corrupt (match distance too far back)', 'truncated input'];

/**
 * unzstd on fzstd, with the frame layer done here: frames are walked block by block (so fzstd only
 * ever sees whole blocks of one frame), skippable frames are skipped, windows fzstd gets wrong are
 * refused, and the content checksum (XXH64, low 32 bits, which fzstd ignores) and content size are
 * verified when the frame has them. Several frames decode to their concatenation.
 */
export async function* unzstd(data: ByteStream, opts: ReadOptions & { readonly outputSize?: number } = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  let input = data;
  if (opts.outputSize !== undefined) {
    // A caller that knows the size usually has the whole input in one piece (a Wyng or Borg chunk):
    // try zstd's own decoder on it; anything it refuses is decoded below, for the exact error.
    const { only, stream } = await ByteReader.single(data);
    const out = only && await decodeWholeFrames(only, opts.outputSize);
    if (out) {
      signal?.throwIfAborted();
      yield out;
      return;
    }
    input = stream;
  }
  const reader = new ByteReader(input);
  const exact = async (n: number, what: string): Promise<Uint8Array> => {
    const b = await reader.read(n);
    if (b.length < n) throw corrupt(`truncated input (in ${what})`);
    return b;
  };
  try {
    let frames = 0;
    for (;;) {
      const magicBytes = await reader.read(4);
      if (magicBytes.length === 0) {
        if (frames === 0) throw corrupt('empty input');
        return;
      }
      if (magicBytes.length < 4) throw corrupt(frames > 0 ? 'garbage after the last frame' : 'truncated input');
      const magic = le32(magicBytes);
      if (isSkippableMagic(magic)) {
        const size = le32(await exact(4, 'a skippable frame'));
        if ((await reader.skip(size)) < size) throw corrupt('truncated input (in a skippable frame)');
        frames++;
        continue;
      }
      if (magic !== ZSTD_MAGIC) throw corrupt(frames > 0 ? 'garbage after the last frame (bad magic)' : 'not zstd data (bad magic)');
      const fhd = await exact(1, 'a frame header');
      const rest = await exact(headerLength(fhd[0]!) - 5, 'a frame header');
      const header = concatBytes([magicBytes, fhd, rest]);
      const frame = parseFrameHeader(header);
      yield* decodeFrame(header, frame, exact, signal);
      frames++;
    }
  } finally {
    await reader.close();
  }
}

async function* decodeFrame(
  header: Uint8Array,
  frame: ReturnType<typeof parseFrameHeader>,
  exact: (n: number, what: string) => Promise<Uint8Array>,
  signal: AbortSignal | undefined,
): ByteStream {
  const hash = frame.hasChecksum ? new Xxh64() : undefined;
  let produced: Uint8Array[] = [];
  let size = 0;
  const fz = new Decompress((chunk) => {
    if (chunk.length === 0) return;
    produced.push(chunk);
    hash?.update(chunk);
    size += chunk.length;
  });
  const push = (bytes: Uint8Array, final: boolean): void => {
    try {
      fz.push(bytes, final);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw corrupt(typeof code === 'number' && FZSTD_CAUSE[code] ? FZSTD_CAUSE[code] : `data corrupt (${(e as Error).message})`, e);
    }
  };
  push(header, false);
  for (let last = false; !last;) {
    signal?.throwIfAborted();
    const bh = await exact(3, 'a block header');
    const b = bh[0]! | (bh[1]! << 8) | (bh[2]! << 16);
    last = (b & 1) === 1;
    const type = (b >> 1) & 3;
    const blockSize = b >>> 3;
    if (type === 3) throw corrupt('reserved block type (data corrupt)');
    if (blockSize > frame.blockMaxSize) throw corrupt(`block of ${blockSize} bytes exceeds the frame's maximum of ${frame.blockMaxSize}`);
    const body = await exact(type === 1 ? 1 : blockSize, 'a block');
    // fzstd needs `final` on a frame's last push to flush small frames; the checksum goes with it.
    if (last && frame.hasChecksum) {
      push(concatBytes([bh, body]), false);
      push(new Uint8Array(4), true); // fzstd skips these 4 bytes; the real checksum is read below
    } else {
      push(concatBytes([bh, body]), last);
    }
    const out = produced;
    produced = [];
    yield* out;
  }
  if (frame.contentSize !== undefined && size !== frame.contentSize) {
    throw corrupt(`frame content size mismatch (header says ${frame.contentSize}, decoded ${size})`);
  }
  if (hash) {
    const stored = le32(await exact(4, 'a frame checksum'));
    if (hash.digestParts().lo !== stored) throw corrupt('content checksum mismatch (data corrupt)');
  }
}
