// Test-only helpers: assemble LZ4 blocks from sequences written out by hand, and read one whole
// block the plain way (the format description, line by line) to tell what a block is. Neither is
// the decoder under test; the main check is the blocks liblz4 made (fixtures/).

/** One sequence: literals, then (except in a last sequence) a match of `length` bytes at `offset`. */
export interface Sequence {
  literals: Uint8Array | number[];
  match?: { offset: number; length: number };
}

/** The bytes after a length nibble of 15: 255 while 255 or more remain, then the rest. */
export function lengthBytes(extra: number): number[] {
  const out: number[] = [];
  for (; extra >= 255; extra -= 255) out.push(255);
  out.push(extra);
  return out;
}

/** A block from sequences; give the last one no match. Offsets and lengths are not checked. */
export function assemble(sequences: readonly Sequence[]): Uint8Array {
  const out: number[] = [];
  for (const s of sequences) {
    const lit = s.literals.length;
    const ml = s.match ? s.match.length - 4 : 0;
    out.push((Math.min(lit, 15) << 4) | Math.min(ml, 15));
    // Loops, not push(...): a bomb's length runs to half a million bytes, past the argument limit.
    if (lit >= 15) for (const b of lengthBytes(lit - 15)) out.push(b);
    for (const b of s.literals) out.push(b);
    if (s.match) {
      out.push(s.match.offset & 0xff, s.match.offset >>> 8);
      if (ml >= 15) for (const b of lengthBytes(ml - 15)) out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** What a plain read of a whole block finds. */
export interface Reading {
  output: Uint8Array;
  /** Any match with offset 0 (invalid; liblz4 copies stale buffer bytes for it). */
  offsetZero: boolean;
  /** Literals in the last sequence. */
  lastLiterals: number;
  /** Where the last match starts in the output, or -1 when there is none. */
  lastMatchStart: number;
}

/** Reads a whole block as the format describes it; undefined when it is malformed. */
export function readBlock(block: Uint8Array, maxOutput = 1 << 26): Reading | undefined {
  let out = new Uint8Array(256);
  let n = 0;
  const put = (b: number): void => {
    if (n === out.length) { const bigger = new Uint8Array(2 * n); bigger.set(out); out = bigger; }
    out[n++] = b;
  };
  let i = 0;
  let offsetZero = false;
  let lastMatchStart = -1;
  const length = (nibble: number): number | undefined => {
    let n = nibble;
    if (nibble === 15) {
      for (;;) {
        if (i >= block.length) return undefined;
        const b = block[i++]!;
        n += b;
        if (b !== 255) break;
      }
    }
    return n;
  };
  if (block.length === 0) return undefined;
  for (;;) {
    if (i >= block.length) return undefined; // ends after a match
    const token = block[i++]!;
    const lit = length(token >> 4);
    if (lit === undefined || i + lit > block.length || n + lit > maxOutput) return undefined;
    for (let k = 0; k < lit; k++) put(block[i++]!);
    if (i === block.length) return { output: out.slice(0, n), offsetZero, lastLiterals: lit, lastMatchStart };
    if (i + 2 > block.length) return undefined;
    const offset = block[i]! | (block[i + 1]! << 8);
    i += 2;
    const ml = length(token & 15);
    if (ml === undefined || offset > n || n + ml + 4 > maxOutput) return undefined;
    if (offset === 0) offsetZero = true;
    lastMatchStart = n;
    for (let k = 0; k < ml + 4; k++) put(offset === 0 ? 0 : out[n - offset]!);
  }
}

/** True when a block breaks the format's end-of-block rules (last 5 bytes literals, last match ≥ 12 before the end). */
export function breaksEndRules(r: Reading): boolean {
  if (r.lastMatchStart < 0) return false;
  return r.lastLiterals < 5 || r.lastMatchStart > r.output.length - 12;
}

/** One run of `size` zero bytes as a single block: 1 literal, one match at offset 1, 5 literals. */
export function zerosBlock(size: number): Uint8Array {
  return assemble([
    { literals: [0], match: { offset: 1, length: size - 6 } },
    { literals: [0, 0, 0, 0, 0] },
  ]);
}
