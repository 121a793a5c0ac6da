// Member.reread: a non-sparse file member of a local seekable source read again from the source,
// any number of times and wherever the reader is; absent where a second read would cost a
// download (not local), cannot happen (a stream) or is not one run of bytes (sparse members).
import { describe, expect, test } from '@jest/globals';
import { concatBytes, type ByteStream, type Member } from '@qubes-backup/core';
import { tarEntries } from '@qubes-backup/tar';
import { expected, fixture, memorySource, sha256 } from './_helpers.js';

const collect = async (s: ByteStream): Promise<Uint8Array> => { const parts: Uint8Array[] = []; for await (const c of s) parts.push(c); return concatBytes(parts); };

describe('Member.reread', () => {
  test('PAX and GNU archives, local: every file member again, twice, after the reader moved on (long names, PAX records, appended archives)', async () => {
    for (const name of ['pax-links.tar', 'gnu-links.tar', 'outer.tar']) {
      const src = { ...memorySource(fixture(name)), local: true };
      const files: Member[] = [];
      for await (const m of tarEntries(src, { ignoreZeros: true })) {
        expect(m.reread !== undefined).toBe(m.type === 'file');
        if (m.type === 'file') files.push(m);
      }
      expect(files.length).toBeGreaterThan(0);
      let checked = 0;
      for (const m of files) {
        const want = expected[m.path]?.sha256;
        const a = await collect(m.reread!());
        const b = await collect(m.reread!());
        expect([a.length, sha256(a) === sha256(b)]).toEqual([m.size, true]);
        if (want) { expect(sha256(a)).toBe(want); checked++; }
      }
      expect(checked).toBeGreaterThan(0);
    }
  });

  test('absent: a source not on this machine, a stream, and sparse members', async () => {
    const kinds: [string, Parameters<typeof tarEntries>[0]][] = [
      ['remote (seekable, not local)', memorySource(fixture('pax-links.tar'))],
      ['a stream', (async function* () { yield fixture('pax-links.tar'); })()],
    ];
    for (const [, src] of kinds) {
      for await (const m of tarEntries(src)) expect(m.reread).toBeUndefined();
    }
    for (const name of ['gnu-sparse.tar', 'pax-sparse-1.0.tar', 'pax-sparse-0.1.tar']) {
      for await (const m of tarEntries({ ...memorySource(fixture(name)), local: true })) {
        expect([m.path, m.sparse, m.reread]).toEqual([m.path, true, undefined]);
      }
    }
  });

  test('reads only the member\'s bytes: opened at its data, stopped at its end', async () => {
    const src = { ...memorySource(fixture('outer.tar')), local: true };
    const members: Member[] = [];
    for await (const m of tarEntries(src, { ignoreZeros: true })) members.push(m);
    const last = members[members.length - 1]!;
    src.opened.length = 0;
    const before = src.delivered;
    const got = await collect(last.reread!());
    expect(got.length).toBe(last.size);
    // Opened once, at a block boundary after the member's headers (a PAX record and its own).
    expect(src.opened.length).toBe(1);
    expect(src.opened[0]! % 512).toBe(0);
    expect(src.opened[0]!).toBeGreaterThan(last.headerOffset + 512);
    // At most one 64 KiB piece of the source beyond the member.
    expect(src.delivered - before).toBeLessThan(last.size + 65536);
  });

  test('over a source with positional reads: pieces of exactly 1 MiB from the member\'s first byte, the last one short', async () => {
    const data = Buffer.alloc(5 * 2 ** 20 / 2 + 7, 'pieces');
    const tar = concatBytes([header('big.img', data.length), data, new Uint8Array(512 - (data.length % 512)), new Uint8Array(1024)]);
    const reads: [number, number][] = [];
    const src = { ...memorySource(tar), local: true, read: async (offset: number, length: number) => { reads.push([offset, length]); return tar.slice(offset, offset + length); } };
    for await (const m of tarEntries(src)) {
      src.opened.length = 0;
      const pieces: number[] = [];
      const parts: Uint8Array[] = [];
      for await (const p of m.reread!()) { pieces.push(p.length); parts.push(p); }
      expect(pieces).toEqual([2 ** 20, 2 ** 20, 2 ** 19 + 7]);
      expect(Buffer.from(concatBytes(parts)).equals(data)).toBe(true);
      expect(reads.map(([o]) => o - 512)).toEqual([0, 2 ** 20, 2 ** 21]);
      expect(src.opened).toEqual([]); // no stream opened
    }
  });
});

/** A ustar header for a regular file (enough for this reader). */
function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, str: string) => { for (let i = 0; i < str.length; i++) h[off + i] = str.charCodeAt(i); };
  put(0, name);
  put(100, '0000644\0');
  put(124, size.toString(8).padStart(11, '0') + '\0');
  put(136, '00000000000\0');
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  put(148, h.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0') + '\0 ');
  return h;
}

