// ByteReader.pieces: a seekable source's stream made of its reads (the web page's File, an SFTP file).
import { describe, expect, test } from '@jest/globals';
import { ByteReader } from '@qubes-backup/core';

describe('ByteReader.pieces: a seekable source\'s stream from its reads', () => {
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  const reads: [number, number][] = [];
  const read = async (offset: number, length: number) => { reads.push([offset, length]); return data.slice(offset, Math.min(100, offset + length)); };

  test.each([false, true])('pieces double from first to max, from any offset, to the size (ahead: %s)', async (ahead) => {
    reads.length = 0;
    const got: Uint8Array[] = [];
    for await (const p of ByteReader.pieces(read, 100, 10, undefined, { first: 4, max: 16, ahead })) got.push(p);
    expect(got.map((p) => p.length)).toEqual([4, 8, 16, 16, 16, 16, 14]);
    expect(Buffer.concat(got)).toEqual(Buffer.from(data.subarray(10)));
    // The last read asks for what is left before `size`, not for a whole piece past it.
    expect(reads.map(([, n]) => n)).toEqual([4, 8, 16, 16, 16, 16, 14]);
  });

  test('an empty read ends the stream early', async () => {
    const got: Uint8Array[] = [];
    for await (const p of ByteReader.pieces(async (o) => (o < 8 ? new Uint8Array(4) : new Uint8Array(0)), 100, 0, undefined, { first: 4, max: 4 })) got.push(p);
    expect(got.length).toBe(2);
  });
});
