/** Bytes are `Uint8Array`; streams of bytes are `AsyncIterable<Uint8Array>`. */
export type ByteStream = AsyncIterable<Uint8Array>;

/** Options every long-running step accepts. */
export interface ReadOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes just processed (a delta, not a total). */
  onProgress?: (bytes: number) => void;
  /**
   * The read runs ahead of the restore itself (a key look-ahead reading chunk headers): its bytes
   * are read again when the restore gets there, so they are not progress.
   */
  ahead?: boolean;
  /**
   * Told, for people, what the work is waiting on when no byte moves for a while (`deriving the key
   * of vm5/private.img.003.enc`), and `undefined` once that wait is over. A cipher or MAC that
   * derives a key tells its cost (`scrypt, 1.0 GiB, ~3 s`); the format calling it words the sentence.
   */
  onStatus?: (text: string | undefined) => void;
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
  /**
   * Bytes that may not be UTF-8 (file names) as a string that keeps every byte, as Python's
   * surrogateescape does: valid UTF-8 as text, any other byte b as the lone surrogate U+DC00+b.
   * A `Member.path` holding such surrogates names exactly those bytes.
   */
  decodeEscaped(b: Uint8Array): string {
    let out = '';
    let i = 0;
    while (i < b.length) {
      const c = b[i]!;
      const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
      if (need === 0) { out += String.fromCharCode(c); i++; continue; }
      let cp = need === 1 ? c & 0x1f : need === 2 ? c & 0x0f : c & 0x07;
      let ok = need > 0 && i + need < b.length;
      for (let k = 1; ok && k <= need; k++) {
        const n = b[i + k]!;
        if ((n & 0xc0) !== 0x80) ok = false;
        else cp = (cp << 6) | (n & 0x3f);
      }
      // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8 either.
      if (ok && ((need === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
      if (!ok) { out += String.fromCharCode(0xdc00 + c); i++; continue; }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  },
  /** The bytes a `decodeEscaped` string stands for. */
  encodeEscaped(s: string): Uint8Array {
    if (!/[\udc80-\udcff]/.test(s)) return new TextEncoder().encode(s);
    const out: number[] = [];
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xdc80 && cp <= 0xdcff) out.push(cp - 0xdc00);
      else for (const x of new TextEncoder().encode(ch)) out.push(x);
    }
    return Uint8Array.from(out);
  },
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
