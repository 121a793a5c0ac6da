// CRC-32 as a `hash` plugin: both backends give zlib's checksum as 4 big-endian bytes, in pieces
// as in one go; it is no keyed hash.
import { expect, test } from '@jest/globals';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32Portable } from '@qubes-backup/codec-gzip';
import { crc32Node } from '@qubes-backup/codec-gzip/node';
import { randomBytes } from '@qubes-backup/testkit';

test.each([crc32Portable, crc32Node])('crc32 ($backend) is zlib.crc32, whole and in pieces', (d) => {
  const data = randomBytes(100_000, 7);
  const want = zlibCrc32(data);
  for (const cut of [0, 1, 4095, 50_000, 100_000]) {
    const h = d.create().create();
    h.update(data.subarray(0, cut));
    h.update(data.subarray(cut));
    expect(Buffer.from(h.digest()).readUInt32BE(0)).toBe(want);
  }
  expect(Buffer.from(d.create().create().digest()).toString('hex')).toBe('00000000');
  expect(() => d.create().hmac(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
});
