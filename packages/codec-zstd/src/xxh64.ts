/**
 * XXH64, streaming, in 32-bit halves (BigInt would be ~50× slower). zstd stores the low 32 bits of
 * XXH64(content, seed 0) as a frame's content checksum.
 */

// 64-bit values travel as (hi, lo) pairs of uint32; helpers leave their result in R[0] (hi) and
// R[1] (lo) (a scratch array measured faster than two module-level `let`s: ~110 vs ~70 MiB/s).
const R = new Uint32Array(2);

const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[1] = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  R[0] = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const l = al + bl;
  R[1] = l >>> 0;
  R[0] = (ah + bh + (l > 0xffffffff ? 1 : 0)) >>> 0;
}

/** acc = rotl(acc + input * P2, 31) * P1 */
function round(ah: number, al: number, ih: number, il: number): void {
  mul(ih, il, P2H, P2L);
  add(ah, al, R[0]!, R[1]!);
  const h = R[0]!, l = R[1]!;
  mul(((h << 31) | (l >>> 1)) >>> 0, ((l << 31) | (h >>> 1)) >>> 0, P1H, P1L);
}

/** h = (h ^ round(0, v)) * P1 + P4 */
function merge(hh: number, hl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, P1H, P1L);
  add(R[0]!, R[1]!, P4H, P4L);
}

/** rotl by n (0 < n < 32) */
function rotl(h: number, l: number, n: number): void {
  R[0] = ((h << n) | (l >>> (32 - n))) >>> 0;
  R[1] = ((l << n) | (h >>> (32 - n))) >>> 0;
}

const le32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

export class Xxh64 {
  // v1..v4 as hi/lo pairs
  private readonly v = new Uint32Array(8);
  private readonly buf = new Uint8Array(32);
  private buffered = 0;
  private total = 0;

  /** `seed` is taken as an unsigned 32-bit value (zstd uses 0). */
  constructor(private readonly seed = 0) {
    const v = this.v;
    add(0, seed >>> 0, P1H, P1L); add(R[0]!, R[1]!, P2H, P2L); v[0] = R[0]!; v[1] = R[1]!;
    add(0, seed >>> 0, P2H, P2L); v[2] = R[0]!; v[3] = R[1]!;
    v[4] = 0; v[5] = seed >>> 0;
    // seed - P1 = seed + (2^64 - P1)
    const nl = (~P1L + 1) >>> 0;
    add(0, seed >>> 0, (~P1H + (nl === 0 ? 1 : 0)) >>> 0, nl); v[6] = R[0]!; v[7] = R[1]!;
  }

  private stripe(b: Uint8Array, i: number): void {
    const v = this.v;
    round(v[0]!, v[1]!, le32(b, i + 4), le32(b, i)); v[0] = R[0]!; v[1] = R[1]!;
    round(v[2]!, v[3]!, le32(b, i + 12), le32(b, i + 8)); v[2] = R[0]!; v[3] = R[1]!;
    round(v[4]!, v[5]!, le32(b, i + 20), le32(b, i + 16)); v[4] = R[0]!; v[5] = R[1]!;
    round(v[6]!, v[7]!, le32(b, i + 28), le32(b, i + 24)); v[6] = R[0]!; v[7] = R[1]!;
  }

  update(data: Uint8Array): this {
    this.total += data.length;
    let p = 0;
    if (this.buffered > 0) {
      const k = Math.min(32 - this.buffered, data.length);
      this.buf.set(data.subarray(0, k), this.buffered);
      this.buffered += k;
      p = k;
      if (this.buffered < 32) return this;
      this.stripe(this.buf, 0);
      this.buffered = 0;
    }
    for (; p + 32 <= data.length; p += 32) this.stripe(data, p);
    if (p < data.length) { this.buf.set(data.subarray(p), 0); this.buffered = data.length - p; }
    return this;
  }

  /** The digest as hi and lo 32-bit halves (the state is left unchanged). */
  digestParts(): { hi: number; lo: number } {
    const v = this.v;
    let hh: number, hl: number;
    if (this.total >= 32) {
      rotl(v[0]!, v[1]!, 1); hh = R[0]!; hl = R[1]!;
      rotl(v[2]!, v[3]!, 7); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      rotl(v[4]!, v[5]!, 12); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      rotl(v[6]!, v[7]!, 18); add(hh, hl, R[0]!, R[1]!); hh = R[0]!; hl = R[1]!;
      for (let k = 0; k < 8; k += 2) { merge(hh, hl, v[k]!, v[k + 1]!); hh = R[0]!; hl = R[1]!; }
    } else {
      add(0, this.seed >>> 0, P5H, P5L); hh = R[0]!; hl = R[1]!;
    }
    add(hh, hl, Math.floor(this.total / 2 ** 32) >>> 0, this.total >>> 0); hh = R[0]!; hl = R[1]!;
    const b = this.buf, n = this.buffered;
    let p = 0;
    for (; p + 8 <= n; p += 8) {
      round(0, 0, le32(b, p + 4), le32(b, p));
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 27);
      mul(R[0]!, R[1]!, P1H, P1L); add(R[0]!, R[1]!, P4H, P4L); hh = R[0]!; hl = R[1]!;
    }
    if (p + 4 <= n) {
      mul(0, le32(b, p), P1H, P1L);
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 23);
      mul(R[0]!, R[1]!, P2H, P2L); add(R[0]!, R[1]!, P3H, P3L); hh = R[0]!; hl = R[1]!;
      p += 4;
    }
    for (; p < n; p++) {
      mul(0, b[p]!, P5H, P5L);
      rotl((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, 11);
      mul(R[0]!, R[1]!, P1H, P1L); hh = R[0]!; hl = R[1]!;
    }
    // avalanche
    hl = (hl ^ (hh >>> 1)) >>> 0;                       // h ^= h >> 33
    mul(hh, hl, P2H, P2L); hh = R[0]!; hl = R[1]!;
    hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0; hh = (hh ^ (hh >>> 29)) >>> 0; // h ^= h >> 29
    mul(hh, hl, P3H, P3L); hh = R[0]!; hl = R[1]!;
    hl = (hl ^ hh) >>> 0;                               // h ^= h >> 32
    return { hi: hh, lo: hl };
  }

  digest(): bigint {
    const { hi, lo } = this.digestParts();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
}

/** XXH64 of one buffer. */
export function xxh64(data: Uint8Array, seed = 0): bigint {
  return new Xxh64(seed).update(data).digest();
}
