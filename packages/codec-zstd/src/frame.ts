import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';

export const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: 0x184D2A50..0x184D2A5F. */
export const isSkippableMagic = (m: number): boolean => (m & 0xfffffff0) >>> 0 === 0x184d2a50;

/**
 * The largest window fzstd 0.1 decodes correctly. It reads an offset's extra bits with one 32-bit
 * load shifted by up to 7 bits, so offset codes above 25 bits (offsets ≥ 2^26 - 3) come out wrong
 * without an error: a `zstd --long=27` file decoded to the wrong bytes (measured), while windows
 * up to 2^25 × 1.875 = 60 MiB decode right (measured up to offsets of 48 MiB).
 */
export const MAX_WINDOW = 2 ** 26 - 4;

export interface FrameHeader {
  /** Bytes of the header, magic included (6–18). */
  readonly length: number;
  readonly windowSize: number;
  /** Frame_Content_Size when the header has it. */
  readonly contentSize?: number;
  readonly hasChecksum: boolean;
  readonly blockMaxSize: number;
}

const le = (b: Uint8Array, o: number, n: number): number => {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[o + i]!;
  return v;
};

/** Length of the header that starts with `fhd` at offset 4 (so callers know how much to read). */
export function headerLength(fhd: number): number {
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  return 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + (fcsFlag === 0 ? single : 1 << fcsFlag);
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(n % 2 ** 20 === 0 ? 0 : 1)} MiB`;

/** Parses and vets a frame header (magic included); throws the error the whole frame deserves. */
export function parseFrameHeader(h: Uint8Array): FrameHeader {
  const fhd = h[4]!;
  if (fhd & 0x08) throw new CorruptBackupError('zstd: reserved bit set in a frame header');
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  let o = 5;
  let windowSize = 0;
  if (!single) {
    const wd = h[o++]!;
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const dictId = le(h, o, dictBytes);
  o += dictBytes;
  if (dictId !== 0) throw new UnsupportedError(`zstd: frame needs dictionary ${dictId}; dictionaries are not supported`);
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  let contentSize: number | undefined;
  if (fcsBytes > 0) contentSize = le(h, o, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  o += fcsBytes;
  if (single) windowSize = contentSize!;
  if (windowSize > MAX_WINDOW) {
    throw new UnsupportedError(
      `zstd: frame window of ${mib(windowSize)} is larger than this decoder handles correctly (under 64 MiB; ` +
        'e.g. a --long or --ultra frame): decompress it with the zstd CLI',
    );
  }
  const out: FrameHeader = {
    length: o,
    windowSize,
    hasChecksum: ((fhd >> 2) & 1) === 1,
    blockMaxSize: Math.min(windowSize, 128 * 1024),
  };
  return contentSize === undefined ? out : { ...out, contentSize };
}
