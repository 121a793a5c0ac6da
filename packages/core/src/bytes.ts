/** Bytes are `Uint8Array`; streams of bytes are `AsyncIterable<Uint8Array>`. */
export type ByteStream = AsyncIterable<Uint8Array>;

/** Options every long-running step accepts. */
export interface ReadOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes just processed (a delta, not a total). */
  onProgress?: (bytes: number) => void;
}

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

export function assertSafeInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Constant-time equality of two byte strings (length leaks, content does not). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b),
};

/** A stream of one buffer. */
export async function* once(bytes: Uint8Array): ByteStream {
  yield bytes;
}

/**
 * Reads a whole stream into memory, refusing more than `limit` bytes. Only for small, bounded
 * members (headers, .hmac files, one chunk): never for a whole image.
 */
export async function collect(stream: ByteStream, limit: number, what = 'stream'): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of stream) {
    n += c.length;
    if (n > limit) throw new RangeError(`${what} is larger than ${limit} bytes`);
    parts.push(c);
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/** Adds `n` to a 128-bit big-endian counter block in place (AES-CTR as OpenSSL and scrypt use it: the carry runs through all 16 bytes). */
export function addToCounter128(counter: Uint8Array, n: number): void {
  let carry = n;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const s = counter[i]! + (carry % 256);
    counter[i] = s & 0xff;
    carry = Math.floor(carry / 256) + (s >> 8);
  }
}

/** A byte count for people: `512 B`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
