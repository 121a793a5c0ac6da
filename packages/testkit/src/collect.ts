import { createHash } from 'node:crypto';
import type { ByteStream } from '@qubes-backup/core';

export interface Collected { size: number; sha256: string; maxPiece: number; pieces: number; bytes?: Uint8Array }

/** Drains a stream, hashing it; keeps the bytes only when asked (small outputs). */
export async function drainHashed(stream: ByteStream, keep = false): Promise<Collected> {
  const h = createHash('sha256');
  const kept: Uint8Array[] = [];
  let size = 0, maxPiece = 0, n = 0;
  for await (const c of stream) {
    if (!(c instanceof Uint8Array)) throw new TypeError('not a Uint8Array');
    h.update(c); size += c.length; n++; maxPiece = Math.max(maxPiece, c.length);
    if (keep) kept.push(c.slice());
  }
  const out: Collected = { size, sha256: h.digest('hex'), maxPiece, pieces: n };
  if (keep) out.bytes = Buffer.concat(kept);
  return out;
}

/** Drains a (small) stream into memory: its bytes and the largest piece. */
export async function consume(stream: ByteStream): Promise<{ bytes: Uint8Array; maxPiece: number }> {
  const parts: Uint8Array[] = [];
  let maxPiece = 0;
  for await (const c of stream) { parts.push(c); maxPiece = Math.max(maxPiece, c.length); }
  return { bytes: new Uint8Array(Buffer.concat(parts)), maxPiece };
}

/** Consumes until the stream fails; the error and how many bytes were released before it. */
export async function failure(stream: ByteStream): Promise<{ error: unknown; released: number }> {
  let released = 0;
  try {
    for await (const c of stream) released += c.length;
  } catch (error) {
    return { error, released };
  }
  throw new Error('expected the stream to fail');
}

/** The error a stream fails with (throws when it ends normally). */
export const streamError = async (stream: ByteStream): Promise<unknown> => (await failure(stream)).error;

/** Drains a stream, discarding it; how many bytes it held. */
export async function drain(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += c.length;
  return n;
}
