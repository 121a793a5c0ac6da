import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ByteSource, ByteStream, Member } from '@qubes-backup/core';

export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturesDir + name));

export interface ExpectedRegion { offset: number; length: number; sha256: string }
export interface ExpectedFile { size: number; sha256?: string; regions?: ExpectedRegion[] }
export const expected = JSON.parse(readFileSync(fixturesDir + 'expected.json', 'utf8')) as
  Record<string, ExpectedFile> & { links: Record<string, string> };

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A small deterministic PRNG (mulberry32) so random splits are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Split = 'whole' | 1 | 511 | 513 | 'random';
export const SPLITS: readonly Split[] = ['whole', 1, 511, 513, 'random'];

/** The bytes as a stream cut at the given boundaries (each chunk a fresh copy at a non-zero byteOffset). */
export async function* chunked(bytes: Uint8Array, split: Split, seed = 1): ByteStream {
  const rnd = prng(seed);
  let o = 0;
  while (o < bytes.length) {
    const n = split === 'whole' ? bytes.length : split === 'random' ? 1 + Math.floor(rnd() * 3000) : split;
    const piece = bytes.subarray(o, Math.min(bytes.length, o + n));
    const padded = new Uint8Array(piece.length + 3);
    padded.set(piece, 3);
    yield padded.subarray(3);
    o += piece.length;
  }
}

/** A seekable in-memory source that counts the bytes it hands out. */
export function memorySource(bytes: Uint8Array, opts: { knownSize?: boolean; seekable?: boolean } = {}): ByteSource & { delivered: number; opened: number[] } {
  const src = {
    name: 'memory',
    seekable: opts.seekable ?? true,
    delivered: 0,
    opened: [] as number[],
    stream(offset = 0): ByteStream {
      src.opened.push(offset);
      return (async function* () {
        for (let o = offset; o < bytes.length; o += 65536) {
          const c = bytes.subarray(o, Math.min(bytes.length, o + 65536));
          src.delivered += c.length;
          yield c;
        }
      })();
    },
    ...(opts.knownSize === false ? {} : { size: bytes.length }),
  };
  return src;
}

export interface Summary {
  path: string; type: string; size: number; storedSize: number; sparse: boolean; mode: number; mtime: number;
  headerOffset: number; linkTarget?: string;
  /** Data runs (contiguous extents merged), each with the sha256 of its bytes. */
  runs: { offset: number; length: number; sha256: string }[];
  /** sha256 of the whole logical content with holes expanded (members up to 64 MiB). */
  sha256?: string;
}

/** Reads every member fully (extents), merging contiguous extents into runs. */
export async function summarize(members: AsyncIterable<Member>): Promise<Summary[]> {
  const out: Summary[] = [];
  for await (const m of members) {
    const runs: Summary['runs'] = [];
    let run: { offset: number; length: number; hash: ReturnType<typeof createHash> } | undefined;
    const full = m.size <= 64 << 20 ? new Uint8Array(m.size) : undefined;
    for await (const e of m.extents()) {
      expectLe(e.bytes.length, 1 << 20);
      if (!run || run.offset + run.length !== e.offset) {
        if (run) runs.push({ offset: run.offset, length: run.length, sha256: run.hash.digest('hex') });
        run = { offset: e.offset, length: 0, hash: createHash('sha256') };
      }
      run.hash.update(e.bytes);
      run.length += e.bytes.length;
      full?.set(e.bytes, e.offset);
    }
    if (run) runs.push({ offset: run.offset, length: run.length, sha256: run.hash.digest('hex') });
    const { path, type, size, storedSize, sparse, mode, mtime, headerOffset, linkTarget } = m;
    out.push({
      path, type, size, storedSize, sparse, mode, mtime, headerOffset, runs,
      ...(linkTarget !== undefined ? { linkTarget } : {}),
      ...(full ? { sha256: sha256(full) } : {}),
    });
  }
  return out;
}

function expectLe(a: number, b: number): void {
  if (a > b) throw new Error(`piece of ${a} bytes is over ${b}`);
}

/** Runs a promise, returning the error it rejects with (or undefined). */
export async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e;
  }
}

/** Recomputes the checksum of the header block at `at` (for tests that edit headers). */
export function fixChecksum(buf: Uint8Array, at = 0): void {
  const block = buf.subarray(at, at + 512);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
}

/**
 * A minimal ustar header + padded body, only for limit and seek tests (the dialect tests use
 * GNU tar's own output).
 */
export function entry(name: string, body: Uint8Array | number, typeflag = '0', declaredSize?: number): Uint8Array {
  const size = typeof body === 'number' ? body : body.length;
  const padded = Math.ceil(size / 512) * 512;
  const out = new Uint8Array(512 + padded);
  const enc = new TextEncoder();
  out.set(enc.encode(name).subarray(0, 100), 0);
  out.set(enc.encode('0000644\0'), 100);
  out.set(enc.encode('0000000\0'), 108);
  out.set(enc.encode('0000000\0'), 116);
  out.set(enc.encode((declaredSize ?? size).toString(8).padStart(11, '0') + '\0'), 124);
  out.set(enc.encode('13603256645\0'), 136);
  out[156] = typeflag.charCodeAt(0);
  out.set(enc.encode('ustar\u000000'), 257);
  if (typeof body !== 'number') out.set(body, 512);
  fixChecksum(out, 0);
  return out;
}

export const paxRecord = (key: string, value: string): string => {
  const len = new TextEncoder().encode(` ${key}=${value}\n`).length;
  const body = ` ${key}=${value}\n`;
  let n = len + 1;
  while (String(n).length + len !== n) n++;
  return `${n}${body}`;
};

export const END = new Uint8Array(1024);
