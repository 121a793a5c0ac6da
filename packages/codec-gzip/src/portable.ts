import { Gunzip } from 'fflate';
import type { ByteStream, Compressor, PluginDescriptor, ReadOptions } from '@qubes-backup/core';
import { crc32 } from './crc32.js';
import { corrupt } from './errors.js';
import { PushOutput, inputPieces } from './_pieces.js';

/**
 * Input is fed to fflate in pieces this small because one push inflates everything it can at once,
 * and deflate expands up to ~1032:1: 16 KiB in is at most ~16.5 MiB out per push.
 */
const IN_PIECE = 16 * 1024;
const OUT_PIECE = 1 << 20;
/** How much recent input is kept to read a member's trailer once fflate reports the next header. */
const KEEP = 1 << 20;

/**
 * Recent input with absolute offsets: fflate tells where a member starts, not its trailer bytes,
 * and the trailer (CRC-32, ISIZE) is what it never checks.
 */
class RecentInput {
  private chunks: { start: number; bytes: Uint8Array }[] = [];
  total = 0;

  add(bytes: Uint8Array): void {
    this.chunks.push({ start: this.total, bytes });
    this.total += bytes.length;
    while (this.chunks.length > 1 && this.total - (this.chunks[1]!.start) >= KEEP) this.chunks.shift();
  }

  /** `n` bytes from absolute offset `at`, or undefined when they are no longer (or not yet) held. */
  at(at: number, n: number): Uint8Array | undefined {
    if (at < 0 || at + n > this.total || this.chunks.length === 0 || at < this.chunks[0]!.start) return undefined;
    const out = new Uint8Array(n);
    for (const c of this.chunks) {
      const from = Math.max(at, c.start);
      const to = Math.min(at + n, c.start + c.bytes.length);
      if (from < to) out.set(c.bytes.subarray(from - c.start, to - c.start), from - at);
    }
    return out;
  }
}

const le32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/**
 * gunzip with fflate (no node:* imports). fflate neither checks CRC-32 nor ISIZE, so each member's
 * output is hashed here and compared with its trailer; concatenated members are decoded; any byte
 * after the last member is an error (node:zlib, like GNU gzip, ignores trailing zeros).
 */
export async function* gunzipPortable(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const recent = new RecentInput();
  const produced = new PushOutput(OUT_PIECE);
  let crc = 0;
  let size = 0;
  let members = 0;

  const checkHeader = (offset: number): void => {
    const h = recent.at(offset, 4);
    if (h && (h[3]! & 0xe0) !== 0) throw corrupt(`reserved header flags set (member ${members + 1})`);
  };
  const checkTrailer = (end: number): void => {
    const t = recent.at(end - 8, 8);
    if (!t) throw corrupt('member header too long to check the previous trailer');
    if (le32(t, 0) !== crc) throw corrupt(`CRC-32 mismatch in member ${members + 1} (data corrupt)`);
    if (le32(t, 4) !== size % 2 ** 32) throw corrupt(`length mismatch in member ${members + 1} (data corrupt)`);
    members++;
    crc = 0;
    size = 0;
  };

  const gz = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    crc = crc32(chunk, crc);
    size += chunk.length;
    produced.add(chunk);
  });
  gz.onmember = (offset: number): void => {
    checkTrailer(offset);
    checkHeader(offset);
  };

  const push = (piece: Uint8Array, final: boolean): void => {
    try {
      gz.push(piece, final);
    } catch (e) {
      if (e instanceof Error && e.name === 'CorruptBackupError') throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw corrupt(msg === 'unexpected EOF' ? 'truncated input (unexpected end of file)' : msg, e);
    }
  };


  for await (const piece of inputPieces(data, IN_PIECE, signal, produced)) {
    const first = recent.total === 0;
    recent.add(piece);
    if (first) checkHeader(0);
    push(piece, false);
    yield* produced.drain();
  }
  signal?.throwIfAborted();
  if (recent.total < 18) throw corrupt(recent.total === 0 ? 'empty input' : 'truncated input (shorter than a gzip header and trailer)');
  push(new Uint8Array(0), true);
  yield* produced.drain();
  checkTrailer(recent.total);
}

export { unzlibPortable, zlibPortable } from './zlib-portable.js';

const info = { kind: 'compressor', name: 'gzip', aliases: ['pigz'], backend: 'portable' } as const;

/** gzip/pigz on fflate, with the CRC-32 and length checks fflate leaves out. */
export const gzipPortable: PluginDescriptor<'compressor'> = {
  ...info,
  create: (): Compressor => ({ info, decompress: gunzipPortable }),
};
