// fileSource: how much a reader costs that opens the backup at an offset, takes a header and moves on.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource } from '../src/source.js';

describe('fileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-source-'));
  const path = join(dir, 'backup');
  const data = new Uint8Array(8 << 20).map((_, i) => i % 251);
  writeFileSync(path, data);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the first read at an offset is one page: skipping a member costs its header, not 64 KiB', async () => {
    // `--vm LAST` and the key look-ahead open the source after every skipped 100 MiB chunk and read
    // only its tar headers (1.5 KiB with PAX) and the scrypt header: a small VM after a big one pays
    // this once per chunk before it.
    const src = await fileSource(path);
    const it = src.stream(1_000_000)[Symbol.asyncIterator]();
    const first = (await it.next()).value as Uint8Array;
    await it.return?.();
    expect(first.length).toBe(4096);
    expect(first[0]).toBe(1_000_000 % 251);
  });

  test('reads then grow to 1 MiB and deliver every byte in order', async () => {
    const src = await fileSource(path);
    const sizes: number[] = [];
    let pos = 12345;
    for await (const c of src.stream(12345)) {
      sizes.push(c.length);
      expect(c[0]).toBe(pos % 251);
      pos += c.length;
    }
    expect(pos).toBe(data.length);
    expect(sizes.slice(0, 3)).toEqual([4096, 8192, 16384]);
    expect(Math.max(...sizes)).toBe(1 << 20);
  });
});
