// A folder saved as a zip from a TreeSource, without a browser: the target sees sequential writes of
// bounded size (the zip is never held whole), the exact size announced first, and Cancel aborts it.
import { describe, expect, test } from '@jest/globals';
import { portableRegistry } from '@qubes-backup/all';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileWriter } from '../src/save.js';
import type { TreeEntry, TreeSource } from '../src/tree-source.js';
import { saveFolderAsZip } from '../src/zip-folder.js';
import { pythonRead, unzip, zipReadersMissing } from './zip-readers.js';

const crc32 = portableRegistry().get('hash', 'crc32');
if (zipReadersMissing) console.warn(`zip-folder tests skipped: ${zipReadersMissing}`);
const withReaders = zipReadersMissing ? describe.skip : describe;
const MiB = 1 << 20;

/** `top/` with `files` files of `size` bytes each (pieces of 64 KiB), a symlink and an empty subfolder. */
function source(files: number, size: number, beforeRead: () => void = () => undefined): TreeSource {
  const file = (i: number): TreeEntry => ({ name: `f${String(i).padStart(3, '0')}.bin`, type: 'file', size, mode: 0o600, mtime: 1_700_000_000 });
  return {
    title: 'test',
    async list(path) {
      if (path === 'top') return [{ name: 'sub', type: 'dir', size: 0 }, ...Array.from({ length: files }, (_, i) => file(i)), { name: 'ln', type: 'symlink', size: 0, target: 'f000.bin' }];
      if (path === 'top/sub') return [];
      throw new Error(`no folder ${path}`);
    },
    async save(path, writer, o = {}) {
      await writer.start(size, path);
      const fill = Number(path.match(/f(\d+)/)![1]);
      for (let at = 0; at < size; at += 65536) {
        beforeRead();
        o.signal?.throwIfAborted();
        await writer.write(at, new Uint8Array(Math.min(65536, size - at)).fill(fill));
      }
      await writer.finish();
    },
  };
}

/** A target keeping its bytes, recording each write's offset and length and how it ended. */
function target() {
  const parts: Buffer[] = [];
  const log = { size: -1, writes: [] as { offset: number; length: number }[], finished: false, aborted: false };
  const writer: FileWriter = {
    async start(n) { log.size = n; },
    async write(offset, bytes) { log.writes.push({ offset, length: bytes.length }); parts.push(Buffer.from(bytes)); },
    async finish() { log.finished = true; },
    async abort() { log.aborted = true; },
  };
  return { writer, log, bytes: () => Buffer.concat(parts) };
}

withReaders('saveFolderAsZip', () => {
  test('40 files of 300 KiB: sequential writes of at most 1 MiB each, exact size, read back by unzip and zipfile', async () => {
    const t = target();
    let progress = 0;
    await saveFolderAsZip(source(40, 300 * 1024), 'top', { name: 'top', type: 'dir', size: 0 }, t.writer, crc32, { onProgress: (n) => { progress += n; } });
    const zip = t.bytes();
    expect(t.log.finished).toBe(true);
    expect(t.log.size).toBe(zip.length);
    expect(progress).toBe(zip.length);
    let at = 0;
    for (const w of t.log.writes) {
      expect(w.offset).toBe(at);
      expect(w.length).toBeLessThanOrEqual(MiB + 65536);
      at += w.length;
    }
    expect(t.log.writes.length).toBeGreaterThan(10);
    const path = join(mkdtempSync(join(tmpdir(), 'zip-folder-')), 'top.zip');
    writeFileSync(path, zip);
    expect(unzip(['-t'], path)).toMatch(/No errors detected/);
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(Object.keys(py.entries)).toEqual(['top/', 'top/sub/', ...Array.from({ length: 40 }, (_, i) => `top/f${String(i).padStart(3, '0')}.bin`), 'top/ln']);
    expect(py.entries['top/f001.bin']!.mode).toBe(0o100600);
  });

  test('Cancel while a file is read: the target is aborted, never finished', async () => {
    const t = target();
    const cancel = new AbortController();
    let reads = 0;
    const src = source(5, MiB, () => { if (++reads === 20) cancel.abort(new DOMException('Cancelled by the user', 'AbortError')); });
    await expect(saveFolderAsZip(src, 'top', { name: 'top', type: 'dir', size: 0 }, t.writer, crc32, { signal: cancel.signal })).rejects.toThrow(/Cancelled/);
    expect(t.log.aborted).toBe(true);
    expect(t.log.finished).toBe(false);
  });
});
