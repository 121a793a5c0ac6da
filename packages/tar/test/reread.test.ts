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
});
