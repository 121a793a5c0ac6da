// validateSparseMap on its own: a sparse map is what lets an archive place bytes at any offset,
// so each of its rules is checked at its boundary, with the message that names the broken rule.
import { describe, expect, test } from '@jest/globals';
import { MAX_SPARSE_ENTRIES, validateSparseMap, type SparseEntry } from '@qubes-backup/tar';

/** The error validateSparseMap throws, or undefined when the map is accepted. */
function check(entries: readonly SparseEntry[], realSize: number, storedSize: number, member?: string): { code?: string; message?: string; member?: string } | undefined {
  try {
    validateSparseMap(entries, realSize, storedSize, member);
    return undefined;
  } catch (e) {
    const x = e as { code?: string; message?: string; member?: string };
    return { code: x.code, message: x.message, ...(x.member !== undefined ? { member: x.member } : {}) };
  }
}

describe('validateSparseMap', () => {
  test('a GNU map with its (realsize, 0) end, zero-length entries and a run touching the end: accepted', () => {
    expect(check([{ offset: 0, length: 10 }, { offset: 10, length: 0 }, { offset: 4096, length: 4 }, { offset: 8192, length: 0 }], 8192, 14)).toBeUndefined();
    expect(check([{ offset: 8188, length: 4 }], 8192, 4)).toBeUndefined();
    expect(check([], 0, 0)).toBeUndefined();
  });

  test.each([
    ['a negative offset', [{ offset: -1, length: 1 }], 'negative or huge entry'],
    ['a negative length', [{ offset: 0, length: -1 }], 'negative or huge entry'],
    ['a fractional offset', [{ offset: 0.5, length: 1 }], 'negative or huge entry'],
    ['a fractional length', [{ offset: 0, length: 1.5 }], 'negative or huge entry'],
    ['an offset beyond 2^53', [{ offset: 2 ** 53, length: 0 }], 'negative or huge entry'],
    ['a length beyond 2^53', [{ offset: 0, length: 2 ** 53 }], 'negative or huge entry'],
    ['NaN', [{ offset: Number.NaN, length: 0 }], 'negative or huge entry'],
    ['out of order', [{ offset: 100, length: 1 }, { offset: 0, length: 1 }], 'entries overlap or are out of order'],
    ['overlapping by one byte', [{ offset: 0, length: 10 }, { offset: 9, length: 1 }], 'entries overlap or are out of order'],
    ['one byte beyond the real size', [{ offset: 8188, length: 5 }], 'entry beyond the real size'],
    ['regions adding up to less than stored', [{ offset: 0, length: 3 }], 'regions add up to 3 bytes, 4 are stored'],
  ])('%s: refused', (_what, entries, why) => {
    const stored = entries.reduce((a, e) => a + (Number.isSafeInteger(e.length) && e.length > 0 ? e.length : 0), 0);
    const got = check(entries, 8192, why.startsWith('regions') ? 4 : stored, 'vm5/private.img');
    expect(got).toEqual({ code: 'E_CORRUPT', message: `vm5/private.img: bad sparse map: ${why}`, member: 'vm5/private.img' });
  });

  test('adjacent runs (one ending where the next starts) are not an overlap', () => {
    expect(check([{ offset: 0, length: 10 }, { offset: 10, length: 5 }], 15, 15)).toBeUndefined();
  });

  test('without a member name the error names none', () => {
    expect(check([{ offset: 0, length: 1 }], 0, 1)).toEqual({ code: 'E_CORRUPT', message: 'bad sparse map: entry beyond the real size' });
  });

  test(`at most MAX_SPARSE_ENTRIES (${MAX_SPARSE_ENTRIES}) entries`, () => {
    const map = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: 2 * i, length: 1 }));
    expect(check(map(MAX_SPARSE_ENTRIES), 2 * MAX_SPARSE_ENTRIES, MAX_SPARSE_ENTRIES)).toBeUndefined();
    expect(check(map(MAX_SPARSE_ENTRIES + 1), 2 * MAX_SPARSE_ENTRIES + 2, MAX_SPARSE_ENTRIES + 1, 'x'))
      .toEqual({ code: 'E_CORRUPT', message: `x: bad sparse map: more than ${MAX_SPARSE_ENTRIES} entries`, member: 'x' });
  });
});
