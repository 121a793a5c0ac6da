import { createHash } from 'node:crypto';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A copy with the bits of `mask` flipped at `at` (negative: from the end). */
export function flip(data: Uint8Array, at: number, mask = 0x10): Uint8Array {
  const c = data.slice();
  const i = at < 0 ? c.length + at : at;
  c[i] = c[i]! ^ mask;
  return c;
}
