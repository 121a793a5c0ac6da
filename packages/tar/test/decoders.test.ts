import { describe, expect, test } from '@jest/globals';
import {
  decodeHeader, decodeNumeric, decodeOldGnuSparse, decodePaxSparse, decodeSparseExtension, formatOf, parsePaxRecords,
  paxTime, SparseMapDecoder, validateSparseMap, verifyChecksum,
} from '@qubes-backup/tar';
import { utf8 } from '@qubes-backup/core';
import { entry, errorOf, fixChecksum, fixture, paxRecord } from './_helpers.js';

const enc = new TextEncoder();
const corrupt = async (f: () => unknown): Promise<void> => {
  expect(await errorOf((async () => f())())).toMatchObject({ code: 'E_CORRUPT' });
};

describe('decodeNumeric', () => {
  test('octal with spaces and NULs', () => {
    expect(decodeNumeric(enc.encode('0000644\0'))).toBe(0o644);
    expect(decodeNumeric(enc.encode('  755 \0'))).toBe(0o755);
    expect(decodeNumeric(new Uint8Array(8))).toBe(0);
    expect(decodeNumeric(enc.encode('77777777777\0'))).toBe(8 * 2 ** 30 - 1);
  });

  test('base-256, as GNU tar writes sizes of 8 GiB and more', async () => {
    const f = new Uint8Array(12);
    f[0] = 0x80;
    f[7] = 0x02; f[8] = 0x40; f[11] = 0x7b; // 0x0240_0000_7b = 9 GiB + 123
    expect(decodeNumeric(f)).toBe(9 * 2 ** 30 + 123);
    expect(decodeNumeric(new Uint8Array(8).fill(0xff))).toBe(-1);
    await corrupt(() => decodeNumeric(new Uint8Array([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
    await corrupt(() => decodeNumeric(new Uint8Array([0x81, 0, 0])));
  });

  test('anything else is a CorruptBackupError', async () => {
    await corrupt(() => decodeNumeric(enc.encode('0008\0')));
    await corrupt(() => decodeNumeric(enc.encode('12 3\0')));
    await corrupt(() => decodeNumeric(enc.encode('7777777777777777777777')));
  });
});

describe('decodeHeader', () => {
  test('the three magics', () => {
    expect(formatOf(fixture('gnu-links.tar').subarray(0, 512))).toBe('gnu');
    expect(formatOf(fixture('pax-links.tar').subarray(0, 512))).toBe('posix');
    expect(formatOf(fixture('v7.tar').subarray(0, 512))).toBe('v7');
  });

  test('POSIX prefix is joined; GNU bytes 345.. are not a prefix', () => {
    const u = decodeHeader(fixture('ustar-prefix.tar').subarray(512, 1024));
    expect(u.name).toMatch(/^tree\/dir-a+\/in-prefix-dir\.txt$/);
    const g = decodeHeader(fixture('gnu-sparse.tar').subarray(0, 512));
    expect(g).toMatchObject({ format: 'gnu', name: 'sparse1.img', typeflag: 'S', size: 4096 });
  });

  test('a name that is not UTF-8 keeps every byte (escaped as core says), never read as Windows-1252', () => {
    const block = entry('x', 0).subarray(0, 512);
    const bytes = Uint8Array.of(0x61, 0x80, 0xe9, 0x9f, 0xff, 0x62);
    block.fill(0, 0, 100);
    block.set(bytes, 0);
    fixChecksum(block);
    const name = decodeHeader(block).name;
    expect(name).not.toContain('\u20ac'); // what TextDecoder('latin1') makes of 0x80
    expect(name).toBe(utf8.decodeEscaped(bytes));
    expect(utf8.encodeEscaped(name)).toEqual(bytes);
    const pax = parsePaxRecords(Uint8Array.of(...enc.encode('12 path='), 0x2f, 0x80, 0x41, 0x0a));
    expect(utf8.encodeEscaped(pax[0]!.value)).toEqual(Uint8Array.of(0x2f, 0x80, 0x41));
  });

  test('signed checksums are accepted', () => {
    const b = entry('\u00e9t\u00e9', 0).subarray(0, 512).slice();
    // Write the signed sum instead of the unsigned one.
    let signed = 0;
    for (let i = 0; i < 512; i++) { const x = i >= 148 && i < 156 ? 0x20 : b[i]!; signed += x >= 128 ? x - 256 : x; }
    b.set(enc.encode(signed.toString(8).padStart(6, '0') + '\0 '), 148);
    expect(verifyChecksum(b)).toBe(true);
    expect(decodeHeader(b).name).toBe('\u00e9t\u00e9');
  });

  test('bad checksum, wrong length, zero block', async () => {
    const b = entry('a', 0).subarray(0, 512).slice();
    b[0] = 0x62;
    await corrupt(() => decodeHeader(b));
    await corrupt(() => decodeHeader(new Uint8Array(511)));
    await corrupt(() => decodeHeader(new Uint8Array(512)));
    fixChecksum(b);
    expect(decodeHeader(b).name).toBe('b');
  });

  test('a multi-volume M header has no magic but an offset', () => {
    const h = decodeHeader(fixture('mv/vol2').subarray(0, 512));
    expect(h).toMatchObject({ format: 'v7', typeflag: 'M', name: 'plain.bin', size: 0o12230, offset: 15000 - 0o12230 });
  });
});

describe('PAX', () => {
  test('records keep order and repeats; trailing NULs are tolerated', () => {
    const text = paxRecord('path', 'a=b \u00e9') + paxRecord('GNU.sparse.offset', '0') + paxRecord('GNU.sparse.offset', '5');
    const data = new Uint8Array(enc.encode(text).length + 3);
    data.set(enc.encode(text));
    expect(parsePaxRecords(data)).toEqual([
      { key: 'path', value: 'a=b \u00e9' }, { key: 'GNU.sparse.offset', value: '0' }, { key: 'GNU.sparse.offset', value: '5' },
    ]);
  });

  test.each(['5 a=b\n', '10 a=b\n', 'x a=b\n', '7 ab\n\n', '6 =bc\n', '99999999999 a=b\n'])('malformed %j', async (t) => {
    await corrupt(() => parsePaxRecords(enc.encode(t)));
  });

  test('times truncate toward the past', () => {
    expect(paxTime('1577934245.999', 'mtime')).toBe(1577934245);
    expect(paxTime('-1.5', 'mtime')).toBe(-2);
    expect(paxTime('-3', 'mtime')).toBe(-3);
  });

  test('sparse versions', () => {
    const r = (k: string, v: string) => ({ key: k, value: v });
    expect(decodePaxSparse([r('path', 'x')])).toBeUndefined();
    expect(decodePaxSparse([r('GNU.sparse.size', '100'), r('GNU.sparse.numblocks', '2'), r('GNU.sparse.offset', '0'),
      r('GNU.sparse.numbytes', '10'), r('GNU.sparse.offset', '50'), r('GNU.sparse.numbytes', '0')]))
      .toEqual({ version: '0.0', realSize: 100, entries: [{ offset: 0, length: 10 }, { offset: 50, length: 0 }] });
    expect(decodePaxSparse([r('GNU.sparse.size', '100'), r('GNU.sparse.name', 'n'), r('GNU.sparse.map', '0,10,50,0')]))
      .toEqual({ version: '0.1', realSize: 100, name: 'n', entries: [{ offset: 0, length: 10 }, { offset: 50, length: 0 }] });
    expect(decodePaxSparse([r('GNU.sparse.major', '1'), r('GNU.sparse.minor', '0'), r('GNU.sparse.realsize', '7'), r('GNU.sparse.name', 'n')]))
      .toEqual({ version: '1.0', realSize: 7, name: 'n' });
  });

  test.each([
    [['GNU.sparse.major', '2'], ['GNU.sparse.minor', '0'], ['GNU.sparse.realsize', '1']],
    [['GNU.sparse.size', '1'], ['GNU.sparse.map', '0,1,2']],
    [['GNU.sparse.size', '1'], ['GNU.sparse.offset', '0']],
    [['GNU.sparse.size', '1'], ['GNU.sparse.numbytes', '0']],
    [['GNU.sparse.map', '0,1']],
    [['GNU.sparse.size', 'x'], ['GNU.sparse.map', '0,1']],
  ])('bad sparse records %#', async (...recs) => {
    await corrupt(() => decodePaxSparse(recs.map(([key, value]) => ({ key: key!, value: value! }))));
  });

  test('the 1.0 map decoder works across block boundaries and refuses junk', async () => {
    const d = new SparseMapDecoder();
    const a = new Uint8Array(512);
    a.set(enc.encode('3\n1\n2\n999\n4\n1000\n0\n'));
    expect(d.push(a)).toBe(true);
    expect(d.entries).toEqual([{ offset: 1, length: 2 }, { offset: 999, length: 4 }, { offset: 1000, length: 0 }]);
    expect(d.consumed).toBe(512);
    // A number cut at a block end carries over to the next block.
    const long = '2\n' + '1'.repeat(15) + '\n1\n' + '2'.repeat(15) + '\n0\n';
    const split = new SparseMapDecoder();
    expect(split.push(enc.encode(long.slice(0, 10)))).toBe(false);
    expect(split.push(enc.encode(long.slice(10)))).toBe(true);
    expect(split.entries).toEqual([{ offset: 111111111111111, length: 1 }, { offset: 222222222222222, length: 0 }]);
    await corrupt(() => new SparseMapDecoder().push(enc.encode('1\nx\n')));
    await corrupt(() => new SparseMapDecoder().push(enc.encode('1\n\n')));
    await corrupt(() => new SparseMapDecoder().push(enc.encode('1000001\n')));
    await corrupt(() => new SparseMapDecoder().push(enc.encode('1\n99999999999999999\n')));
  });
});

describe('old-GNU sparse', () => {
  test('header and extension blocks of the 33-region fixture', () => {
    const b = fixture('gnu-sparse-many.tar');
    const h = decodeOldGnuSparse(b.subarray(0, 512));
    expect(h.isExtended).toBe(true);
    expect(h.entries).toHaveLength(4);
    expect(h.realSize).toBe(33 * 8192 + 4096);
    const e1 = decodeSparseExtension(b.subarray(512, 1024));
    const e2 = decodeSparseExtension(b.subarray(1024, 1536));
    expect([e1.entries.length, e1.isExtended, e2.entries.length, e2.isExtended]).toEqual([21, true, 9, false]);
    const all = [...h.entries, ...e1.entries, ...e2.entries];
    expect(all.at(-1)).toEqual({ offset: 33 * 8192 + 4096, length: 0 });
    expect(() => validateSparseMap(all, h.realSize, 33 * 4096)).not.toThrow();
  });

  test('base-256 realsize and offsets of the > 8 GiB fixture', () => {
    const h = decodeOldGnuSparse(fixture('gnu-sparse-big.tar').subarray(0, 512));
    expect(h.realSize).toBe(9 * 2 ** 30 + 8192 + 123);
    expect(h.entries.map((e) => e.offset)).toEqual([0, 5 * 2 ** 30, 9 * 2 ** 30, 9 * 2 ** 30 + 8192 + 123]);
  });
});
