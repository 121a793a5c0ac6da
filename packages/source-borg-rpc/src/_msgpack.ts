import { CorruptBackupError } from '@qubes-backup/core';

/**
 * The MessagePack subset Borg 1.x's RPC uses, both ways. Borg packs strings and bytes alike as
 * "raw" (str) and unpacks them as bytes, so here a str (or bin) decodes to a Uint8Array, and both a
 * JS string (method and argument names) and a Uint8Array (ids) are encoded as str. Maps decode to a Map
 * keyed by the key's text (keys are ASCII names: `i`, `r`, `exception_class`).
 */
export type Value = null | boolean | number | bigint | Uint8Array | string | readonly Value[] | ReadonlyMap<string, Value> | { readonly [k: string]: Value };

export function encode(v: Value): Uint8Array {
  const out: number[] = [];
  const bytes = (b: Uint8Array) => { for (const x of b) out.push(x); };
  const u = (n: number, size: 1 | 2 | 4) => { for (let i = size - 1; i >= 0; i--) out.push((n >>> (8 * i)) & 0xff); };
  const put = (x: Value): void => {
    if (x === null) out.push(0xc0);
    else if (x === true) out.push(0xc3);
    else if (x === false) out.push(0xc2);
    else if (typeof x === 'number') {
      if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`msgpack: only non-negative integers are sent (${x})`);
      if (x < 0x80) out.push(x);
      else if (x <= 0xff) { out.push(0xcc); u(x, 1); }
      else if (x <= 0xffff) { out.push(0xcd); u(x, 2); }
      else if (x <= 0xffffffff) { out.push(0xce); u(x, 4); }
      else { out.push(0xcf); u(Math.floor(x / 2 ** 32), 4); u(x >>> 0, 4); }
    } else if (typeof x === 'bigint') {
      put(Number(x));
    } else if (typeof x === 'string' || x instanceof Uint8Array) {
      // Borg 1.x packs with use_bin_type=False and its server's unpacker refuses bin (max_bin_len 0):
      // bytes go out as str, as Borg's own client sends them.
      const b = typeof x === 'string' ? new TextEncoder().encode(x) : x;
      if (b.length < 32) out.push(0xa0 | b.length);
      else if (b.length <= 0xff) { out.push(0xd9); u(b.length, 1); }
      else if (b.length <= 0xffff) { out.push(0xda); u(b.length, 2); }
      else { out.push(0xdb); u(b.length, 4); }
      bytes(b);
    } else if (Array.isArray(x)) {
      const a = x as readonly Value[];
      if (a.length < 16) out.push(0x90 | a.length); else { out.push(0xdc); u(a.length, 2); }
      for (const e of a) put(e);
    } else {
      const entries = x instanceof Map ? [...(x as ReadonlyMap<string, Value>).entries()] : Object.entries(x as { [k: string]: Value });
      if (entries.length < 16) out.push(0x80 | entries.length); else { out.push(0xde); u(entries.length, 2); }
      for (const [k, e] of entries) { put(k); put(e); }
    }
  };
  put(v);
  return new Uint8Array(out);
}

/** Decoded values: str and bin as bytes, maps keyed by text. */
export type Decoded = null | boolean | number | Uint8Array | Decoded[] | Map<string, Decoded>;

/** Thrown inside `decodeOne` when the buffer ends mid-value: how long it must be at least. */
class Short extends Error {
  constructor(readonly needed: number) { super('short'); }
}

/**
 * One value from `buf` at `pos`: the value and where the next starts, or (when the bytes end before
 * the value does) the length `buf` must reach at least before trying again, so a large object
 * arriving in many pieces is not re-parsed and re-joined for each. `maxLength` bounds any str, bin, array or map length read from the
 * stream before it sizes anything.
 */
export function decodeOne(buf: Uint8Array, pos: number, maxLength: number): { value: Decoded; next: number } | { needed: number } {
  let p = pos;
  const need = (n: number) => { if (p + n > buf.length) throw new Short(p + n); };
  const uint = (size: number): number => {
    need(size);
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + buf[p + i]!;
    p += size;
    return n;
  };
  const len = (n: number): number => {
    if (n > maxLength) throw new CorruptBackupError(`borg serve sent a value of ${n} bytes or items, more than the ${maxLength} allowed`);
    return n;
  };
  const raw = (n: number): Uint8Array => { need(len(n)); const b = buf.slice(p, p + n); p += n; return b; };
  const get = (): Decoded => {
    need(1);
    const t = buf[p++]!;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return raw(t & 0x1f);
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: case 0xd9: return raw(uint(1));
      case 0xc5: case 0xda: return raw(uint(2));
      case 0xc6: case 0xdb: return raw(uint(4));
      case 0xcc: return uint(1);
      case 0xcd: return uint(2);
      case 0xce: return uint(4);
      case 0xcf: return uint(8);
      case 0xd0: { const n = uint(1); return n >= 0x80 ? n - 0x100 : n; }
      case 0xd1: { const n = uint(2); return n >= 0x8000 ? n - 0x10000 : n; }
      case 0xd2: { const n = uint(4); return n >= 0x80000000 ? n - 0x100000000 : n; }
      case 0xd3: { need(8); const v = new DataView(buf.buffer, buf.byteOffset + p, 8).getBigInt64(0); p += 8; return Number(v); }
      case 0xca: { need(4); const v = new DataView(buf.buffer, buf.byteOffset + p, 4).getFloat32(0); p += 4; return v; }
      case 0xcb: { need(8); const v = new DataView(buf.buffer, buf.byteOffset + p, 8).getFloat64(0); p += 8; return v; }
      case 0xdc: return arr(uint(2));
      case 0xdd: return arr(uint(4));
      case 0xde: return map(uint(2));
      case 0xdf: return map(uint(4));
      default: throw new CorruptBackupError(`borg serve sent msgpack type 0x${t.toString(16)}, which its RPC never uses`);
    }
  };
  const arr = (n: number): Decoded[] => { len(n); const a: Decoded[] = []; for (let i = 0; i < n; i++) a.push(get()); return a; };
  const map = (n: number): Map<string, Decoded> => {
    len(n);
    const m = new Map<string, Decoded>();
    for (let i = 0; i < n; i++) {
      const k = get();
      m.set(k instanceof Uint8Array ? new TextDecoder().decode(k) : String(k), get());
    }
    return m;
  };
  try {
    const value = get();
    return { value, next: p };
  } catch (e) {
    if (e instanceof Short) return { needed: e.needed };
    throw e;
  }
}
