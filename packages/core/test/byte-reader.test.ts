// ByteReader.pieces: a seekable source's stream made of its reads (the web page's File, an SFTP file).
import { describe, expect, test } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

describe('ByteReader holds only what it has not given out', () => {
  test('reads that end inside a piece let go of the pieces before it (100 pieces of 1000 bytes, 1 byte read, then 1000 at a time)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<ArrayBuffer>[] = [];
    async function* produce() {
      for (let i = 0; i < 100; i++) {
        const piece = new Uint8Array(1000).fill(i);
        refs.push(new WeakRef(piece.buffer));
        yield piece;
      }
    }
    const r = new ByteReader(produce());
    // Reads whose ends never meet a piece's end: the queue always holds the rest of one piece.
    expect((await r.read(1)).length).toBe(1);
    for (let i = 0; i < 90; i++) expect((await r.read(1000)).length).toBe(1000);
    // WeakRefs are cleared only after the job that created them: let a turn pass around each collection.
    for (let i = 0; i < 2; i++) { await new Promise((ok) => setImmediate(ok)); gc(); }
    const kept = refs.slice(0, 60).filter((w) => w.deref() !== undefined).length;
    expect(kept).toBe(0);
    // The reader is still in use (else it would be collected with whatever it held).
    expect((await r.read(100_000)).length).toBe(100 * 1000 - 1 - 90 * 1000);
  });
});
