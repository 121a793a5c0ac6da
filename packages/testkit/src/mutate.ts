import fc from 'fast-check';

/** One byte-level edit: [operation 0-4, position, value]. */
export type MutationOp = [number, number, number];

/**
 * Byte-level mutations of a valid input for fuzzing: bit flips, overwrites, deletions of up to
 * `maxDelete` bytes, insertions, truncation. Positions wrap, so any op applies to any input.
 */
export function mutate(base: Uint8Array, ops: readonly MutationOp[], maxDelete = 8): Uint8Array {
  let b = Uint8Array.from(base);
  for (const [op, pos, v] of ops) {
    const at = b.length ? pos % b.length : 0;
    if (op === 0 && b.length) b[at]! ^= 1 << (v % 8);
    else if (op === 1 && b.length) b[at] = v;
    else if (op === 2) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + (v % maxDelete))]);
    else if (op === 3) b = Uint8Array.from([...b.subarray(0, at), v, ...b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

/** fast-check arbitrary of 1 to `maxLength` mutation ops for `mutate`. */
export function mutationOps(maxLength: number): fc.Arbitrary<MutationOp[]> {
  return fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.nat(255)), { minLength: 1, maxLength });
}
