// The zip writer, its output read back by unzip and Python's zipfile (see zip-readers.ts).
import { describe, expect, test } from '@jest/globals';
import { portableRegistry } from '@qubes-backup/all';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipWriter, zipSize, type ZipEntry, type ZipLimits } from '../src/zip-writer.js';
import { dosDateTime, pythonRead, unzip, zipReadersMissing, type ReadEntry } from './zip-readers.js';

const crc32 = portableRegistry().get('hash', 'crc32');
if (zipReadersMissing) console.warn(`zip-writer tests skipped: ${zipReadersMissing}`);
const withReaders = zipReadersMissing ? describe.skip : describe;

const text = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A file's content, written to the zip in pieces at offsets (a gap is a hole, read back as zeros). */
interface FileData { readonly pieces: readonly { offset: number; bytes: Uint8Array }[] }
type Item = ZipEntry & Partial<FileData>;

function contentOf(e: Item): Uint8Array {
  const out = new Uint8Array(e.size);
  for (const p of e.pieces ?? []) out.set(p.bytes, p.offset);
  return out;
}

/** Writes `items` to a zip file (data in pieces through each file's FileWriter) and returns its path and bytes. */
async function writeZip(items: readonly Item[], limits?: ZipLimits): Promise<{ path: string; bytes: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const zip = new ZipWriter(async (b) => { parts.push(b.slice()); }, crc32, limits);
  for (const e of items) {
    if (e.type !== 'file') { await zip.add(e); continue; }
    const w = zip.file(e);
    await w.start(e.size, e.path);
    for (const p of e.pieces ?? []) await w.write(p.offset, p.bytes);
    await w.finish();
  }
  await zip.finish();
  const bytes = new Uint8Array(Buffer.concat(parts));
  expect(bytes.length).toBe(zip.written);
  expect(zipSize(items, limits)).toBe(bytes.length);
  const path = join(mkdtempSync(join(tmpdir(), 'zip-writer-')), 'test.zip');
  writeFileSync(path, bytes);
  return { path, bytes };
}

const MTIME = Date.UTC(2024, 4, 17, 10, 30, 12) / 1000;
const ITEMS: readonly Item[] = [
  { path: 'top', type: 'dir', size: 0, mode: 0o750, mtime: MTIME },
  { path: 'top/hello.txt', type: 'file', size: 12, mode: 0o644, mtime: MTIME, pieces: [{ offset: 0, bytes: text('hello ') }, { offset: 6, bytes: text('world\n') }] },
  { path: 'top/holes.bin', type: 'file', size: 3_000_000, mtime: MTIME, pieces: [{ offset: 1_500_000, bytes: text('middle') }] },
  { path: 'top/empty.txt', type: 'file', size: 0, mtime: MTIME },
  { path: 'top/link', type: 'symlink', size: 0, target: 'hello.txt', mtime: MTIME },
  { path: 'top/Документы', type: 'dir', size: 0 },
  { path: 'top/Документы/zażółć.txt', type: 'file', size: 7, mode: 0o600, pieces: [{ offset: 0, bytes: text('gęś\n') }] },
];

/** What a reader should find: names (folders with '/'), contents (a symlink's is its target) and Unix modes with their type bits. */
function expected(items: readonly Item[]): Record<string, ReadEntry> {
  const out: Record<string, ReadEntry> = {};
  for (const e of items) {
    const name = e.type === 'dir' ? `${e.path}/` : e.path;
    const data = e.type === 'file' ? contentOf(e) : e.type === 'symlink' ? text(e.target!) : new Uint8Array(0);
    const type = e.type === 'dir' ? 0o040000 : e.type === 'symlink' ? 0o120000 : 0o100000;
    const mode = type | (e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644));
    out[name] = { sha256: sha256(data), mode, dateTime: e.mtime === undefined ? [1980, 1, 1, 0, 0, 0] : dosDateTime(e.mtime) };
  }
  return out;
}

withReaders('zip writer, read back by unzip and Python zipfile', () => {
  test('a folder, files (one with holes, one empty), a symlink and non-ASCII names', async () => {
    const { path, bytes } = await writeZip(ITEMS);
    // No ZIP64 end record in a small zip: readers that lack ZIP64 still read it.
    expect(Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(-1);
    const test = unzip(['-t'], path);
    expect(test).toMatch(/No errors detected/);
    const list = unzip(['-Z1'], path).trim().split('\n');
    expect(list).toEqual(ITEMS.map((e) => (e.type === 'dir' ? `${e.path}/` : e.path)));
    // zipinfo shows the Unix mode: a symlink is 'l', the folder keeps its 750.
    const info = unzip(['-Z'], path);
    expect(info).toMatch(/^lrwxrwxrwx .* top\/link$/m);
    expect(info).toMatch(/^drwxr-x--- .* top\/$/m);
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(py.entries).toEqual(expected(ITEMS));
  });

  test('ZIP64 records when sizes, offsets and the entry count reach the limits (lowered to 64 bytes and 3 entries)', async () => {
    const limits: ZipLimits = { bytes: 64, entries: 3 };
    const { path, bytes } = await writeZip(ITEMS, limits);
    const at = (sig: number[]) => Buffer.from(bytes).indexOf(Buffer.from(sig));
    // The ZIP64 end record, then its locator, then the classic end record saying "see ZIP64".
    const end64 = at([0x50, 0x4b, 0x06, 0x06]);
    const locator = at([0x50, 0x4b, 0x06, 0x07]);
    expect(end64).toBeGreaterThan(0);
    expect(locator).toBe(end64 + 56);
    expect(bytes.length).toBe(locator + 20 + 22);
    const end = new DataView(bytes.buffer, bytes.length - 22);
    expect(end.getUint16(10, true)).toBe(0xffff);
    expect(end.getUint32(16, true)).toBe(0xffffffff);
    expect(unzip(['-t'], path)).toMatch(/No errors detected/);
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(py.entries).toEqual(expected(ITEMS));
  });

  test('65,600 entries with the real limits: the ZIP64 end record carries the count', async () => {
    const items: Item[] = Array.from({ length: 65_600 }, (_, i) => ({ path: `many/${i}`, type: 'file' as const, size: 0, mtime: MTIME }));
    const { path, bytes } = await writeZip(items);
    const end = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 22);
    expect(end.getUint16(10, true)).toBe(0xffff);
    const end64 = Buffer.from(bytes).lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset + end64).getBigUint64(32, true))).toBe(65_600);
    expect(unzip(['-t'], path)).toMatch(/No errors detected in compressed data of .*\.zip/);
    expect(Object.keys(pythonRead(path).entries).length).toBe(65_600);
  }, 60_000);

  test('a name that was not UTF-8 in the backup keeps its bytes, without the UTF-8 flag', async () => {
    // 0xFF 0xFE, as core's utf8.decodeEscaped keeps them (lone surrogates U+DCFF U+DCFE).
    const items: readonly Item[] = [
      { path: 'bad-\udcff\udcfe.txt', type: 'file', size: 2, mtime: MTIME, pieces: [{ offset: 0, bytes: text('x\n') }] },
      { path: 'gęś.txt', type: 'file', size: 0, mtime: MTIME },
    ];
    const { path, bytes } = await writeZip(items);
    const raw = Buffer.from(bytes);
    expect(raw.indexOf(Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xff, 0xfe, 0x2e]))).toBeGreaterThan(0);
    // General purpose flags of the two local headers: bit 3 on both, bit 11 (UTF-8) only on the UTF-8 name.
    expect(raw.readUInt16LE(6)).toBe(0x0008);
    expect(raw.readUInt16LE(raw.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4) + 6)).toBe(0x0808);
    expect(unzip(['-t'], path)).toMatch(/No errors detected/);
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(py.entries).toEqual(expected(items));
  });

  test('refuses pieces out of order and a size other than the listed one', async () => {
    const zip = new ZipWriter(async () => undefined, crc32);
    const w = zip.file({ path: 'a', type: 'file', size: 10 });
    await expect(w.start(11, 'a')).rejects.toThrow(/listed as 10/);
    const zip2 = new ZipWriter(async () => undefined, crc32);
    const w2 = zip2.file({ path: 'a', type: 'file', size: 10 });
    await w2.start(10, 'a');
    await w2.write(5, text('x'));
    await expect(w2.write(0, text('y'))).rejects.toThrow(/out of order/);
  });
});
