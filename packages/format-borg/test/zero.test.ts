// isZero decides which chunks become holes: one nonzero byte anywhere, at any alignment, must count.
import { expect, test } from '@jest/globals';
import { isZero } from '../src/zero.js';

test('all zeros at every length and offset; one nonzero byte anywhere is not', () => {
  const buf = new Uint8Array(64);
  for (let offset = 0; offset < 8; offset++) {
    for (let n = 0; n <= 40; n++) {
      const view = buf.subarray(offset, offset + n);
      expect(isZero(view)).toBe(true);
      for (let at = 0; at < n; at++) {
        view[at] = 1 << (at % 8);
        expect([offset, n, at, isZero(view)]).toEqual([offset, n, at, false]);
        view[at] = 0;
      }
    }
  }
  // Bytes outside the view do not count.
  buf[0] = 1;
  buf[63] = 1;
  expect(isZero(buf.subarray(1, 63))).toBe(true);
});
