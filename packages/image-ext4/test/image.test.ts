import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { openImage, READ_CHUNK, type DirEntry, type Ext4Image } from '@qubes-backup/image-ext4';
import { loadExpected, sha256File, sha256Stream, unpackImages, type ExpectedEntry, type ExpectedImage, type Workdir } from './_fixtures.js';

let work: Workdir;
let expected: Record<string, ExpectedImage>;

beforeAll(async () => {
  work = await unpackImages(['fs4k', 'fs1k', 'gpt', 'mbr', 'notext', 'corrupt']);
  expected = await loadExpected();
});
afterAll(async () => work.cleanup());

function asExpected(e: DirEntry): ExpectedEntry {
  const out: ExpectedEntry = { type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime.getTime() / 1000 };
  if (e.target !== undefined) out.target = e.target;
  return out;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe.each([
  ['fs4k', 'fs4k', undefined],
  ['fs1k', 'fs1k', undefined],
  ['gpt', 'gpt', undefined],
  ['mbr', 'mbr', undefined],
  ['mbr-p1', 'mbr', 1],
] as const)('%s matches debugfs', (key, file, partition) => {
  let img: Ext4Image;
  beforeAll(async () => {
    img = await openImage(work.image(file), partition === undefined ? {} : { partition });
  });
  afterAll(async () => img.close());

  test('walk lists every entry with debugfs metadata, depth-first and sorted', async () => {
    const want = expected[key]!.entries;
    const got: Record<string, ExpectedEntry> = {};
    const order: string[] = [];
    for await (const { path, entry } of img.walk()) {
      got[path] = asExpected(entry);
      order.push(path);
    }
    const strip = (e: ExpectedEntry): ExpectedEntry => { const { sha256: _, ...rest } = e; return rest; };
    expect(got).toEqual(Object.fromEntries(Object.entries(want).map(([k, v]) => [k, strip(v)])));
    // Depth-first pre-order with byte-sorted siblings: a parent precedes its children, siblings ascend.
    const byteOrder = [...order].sort((a, b) => Buffer.compare(Buffer.from(a.split('/').join('\0')), Buffer.from(b.split('/').join('\0'))));
    expect(order).toEqual(byteOrder);
  });

  test('list of each directory equals the debugfs listing of it', async () => {
    const want = expected[key]!.entries;
    const dirs = ['/', ...Object.keys(want).filter((p) => want[p]!.type === 'dir')];
    for (const d of dirs) {
      const prefix = d === '/' ? '/' : `${d}/`;
      const children = Object.keys(want).filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'));
      const got = await img.list(d);
      expect(got.map((e) => prefix + e.name).sort()).toEqual(children.sort());
    }
  });

  test('every file reads back with the sha256 of debugfs rdump, in chunks of at most 256 KiB', async () => {
    for (const [path, e] of Object.entries(expected[key]!.entries)) {
      if (e.type !== 'file') continue;
      const got = await sha256Stream(img.createReadStream(path));
      expect({ path, sha256: got.hex }).toEqual({ path, sha256: e.sha256 });
      expect(got.max).toBeLessThanOrEqual(READ_CHUNK);
      if (e.size === 0) expect(got.chunks).toBe(0);
    }
  });
});

describe('fs4k', () => {
  let img: Ext4Image;
  beforeAll(async () => {
    img = await openImage(work.image('fs4k'));
  });
  afterAll(async () => img.close());

  test('info describes a bare ext4', () => {
    expect(img.info).toEqual({
      scheme: 'bare', offset: 0,
      filesystem: { kind: 'ext4', blockSize: 4096, blocksCount: 4096, size: 16 << 20, inodesCount: 4096, label: 'fs4k', uuid: '11111111-2222-3333-4444-555555555555', needsRecovery: false },
    });
  });

  test('the 5 MiB file crosses many chunks', async () => {
    const got = await sha256Stream(img.createReadStream('/big.bin'));
    expect(got.chunks).toBeGreaterThanOrEqual(20);
    expect(got.hex).toBe(expected.fs4k!.entries['/big.bin']!.sha256);
  });

  test('two interleaved streams each read their own bytes', async () => {
    const a = img.createReadStream('/big.bin')[Symbol.asyncIterator]();
    const b = img.createReadStream('/big.bin')[Symbol.asyncIterator]();
    const ha = (await import('node:crypto')).createHash('sha256');
    const hb = (await import('node:crypto')).createHash('sha256');
    let da = false;
    let db = false;
    while (!da || !db) {
      if (!da) { const r = await a.next(); if (r.done === true) da = true; else ha.update(r.value); }
      if (!db) { const r = await b.next(); if (r.done === true) db = true; else { hb.update(r.value); const r2 = await b.next(); if (r2.done === true) db = true; else hb.update(r2.value); } }
    }
    expect(ha.digest('hex')).toBe(expected.fs4k!.entries['/big.bin']!.sha256);
    expect(hb.digest('hex')).toBe(expected.fs4k!.entries['/big.bin']!.sha256);
  });

  test('non-ASCII names resolve both ways', async () => {
    const e = await img.stat('/home/user/Documents/zażółć gęślą jaźń.txt');
    expect(e).toMatchObject({ name: 'zażółć gęślą jaźń.txt', type: 'file', size: 27, uid: 1000, gid: 1000 });
    expect((await sha256Stream(img.createReadStream('/home/user/Documents/日本語.md'))).hex)
      .toBe(expected.fs4k!.entries['/home/user/Documents/日本語.md']!.sha256);
  });

  test('paths are normalised inside the filesystem; .. stops at its root', async () => {
    expect((await img.stat('home//user/./bin/../a.txt')).size).toBe(18);
    expect((await img.stat('/../../hello.txt')).size).toBe(13);
    expect(await img.stat('/')).toMatchObject({ name: '/', type: 'dir' });
  });

  test('symlinks: stat does not follow, readlink gives the stored target, reading follows inside the image', async () => {
    expect(await img.stat('/home/user/link-to-a')).toMatchObject({ type: 'symlink', target: 'a.txt', size: 5 });
    expect(await img.readlink('/home/user/long-link')).toBe(expected.fs4k!.entries['/home/user/long-link']!.target);
    expect(await img.readlink('/home/user/abs-link')).toBe('/etc/passwd');
    expect((await sha256Stream(img.createReadStream('/home/user/link-to-a'))).hex).toBe(expected.fs4k!.entries['/home/user/a.txt']!.sha256);
    expect((await img.list('/home/user/dirlink')).map((e) => e.name)).toEqual(['emoji-😀.txt', 'zażółć gęślą jaźń.txt', '日本語.md']);
    // /etc/passwd does not exist in the image, and the host's is never consulted.
    expect((await rejection(sha256Stream(img.createReadStream('/home/user/abs-link')))).code).toBe('E_USAGE');
  });

  test('the deleted file is gone', async () => {
    expect((await img.list('/tmp')).map((e) => e.name)).toEqual(['kept.txt']);
    expect((await rejection(img.stat('/tmp/deleted-later.txt'))).code).toBe('E_USAGE');
  });

  test('wrong kinds of path fail with usage errors', async () => {
    expect(await rejection(img.list('/hello.txt'))).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('not a directory') });
    expect(await rejection(sha256Stream(img.createReadStream('/home')))).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('not a regular file') });
    expect(await rejection(sha256Stream(img.createReadStream('/fifo')))).toMatchObject({ code: 'E_USAGE' });
    expect(await rejection(img.readlink('/hello.txt'))).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('not a symbolic link') });
    expect((await rejection(img.stat('/nope/x'))).code).toBe('E_USAGE');
    expect((await rejection(img.stat('/hello.txt/x'))).code).toBe('E_USAGE');
    expect((await rejection(img.stat('/a\0b'))).code).toBe('E_USAGE');
    expect((await img.stat('/fifo')).type).toBe('other');
  });

  test('an abort signal stops a stream', async () => {
    const ac = new AbortController();
    let n = 0;
    const err = await rejection((async () => {
      for await (const _ of img.createReadStream('/big.bin', { signal: ac.signal })) if (++n === 3) ac.abort();
    })());
    expect(n).toBe(3);
    expect((err as unknown as Error).name).toBe('AbortError');
  });
});

describe('partitioned disks', () => {
  test('GPT: auto picks partition 3 (R4 root.img layout); explicit index works', async () => {
    for (const opts of [{}, { partition: 3 }] as const) {
      const img = await openImage(work.image('gpt'), opts);
      expect(img.info.scheme).toBe('gpt');
      expect(img.info.partition).toEqual({ index: 3, scheme: 'gpt', offset: 8192 * 512, size: 24576 * 512, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', name: 'root' });
      expect(img.info.offset).toBe(8192 * 512);
      await img.close();
    }
  });

  test('GPT: a partition without ext, or a missing one, is refused', async () => {
    expect(await rejection(openImage(work.image('gpt'), { partition: 2 }))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('not an ext2/3/4 filesystem') });
    expect(await rejection(openImage(work.image('gpt'), { partition: 9 }))).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('partitions: 1, 2, 3') });
    expect((await rejection(openImage(work.image('gpt'), { partition: 0 }))).code).toBe('E_USAGE');
  });

  test('MBR: auto prefers the largest ext partition (2, ext3); partition 1 is ext2', async () => {
    const a = await openImage(work.image('mbr'));
    expect([a.info.scheme, a.info.partition?.index, a.info.filesystem.kind, a.info.filesystem.label]).toEqual(['mbr', 2, 'ext3', 'mbr2']);
    await a.close();
    const b = await openImage(work.image('mbr'), { partition: 1 });
    expect([b.info.partition?.index, b.info.partition?.offset, b.info.filesystem.kind]).toEqual([1, 2048 * 512, 'ext2']);
    await b.close();
  });

  test('a bare filesystem has no partitions to choose', async () => {
    expect((await rejection(openImage(work.image('fs4k'), { partition: 1 }))).code).toBe('E_USAGE');
  });
});

describe('bad images', () => {
  test('not ext', async () => {
    expect(await rejection(openImage(work.image('notext')))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('not an ext2/3/4 filesystem') });
  });

  test('corrupt superblock', async () => {
    expect(await rejection(openImage(work.image('corrupt')))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('corrupt superblock') });
  });

  test('truncated image', async () => {
    const p = join(work.dir, 'truncated.img');
    await copyFile(work.image('fs4k'), p);
    await truncate(p, 8 << 20);
    expect(await rejection(openImage(p))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('truncated image') });
  });

  test('missing file', async () => {
    expect((await rejection(openImage(join(work.dir, 'nope.img')))).code).toBe('E_IO');
  });
});

test('after close: calls fail, close again is fine', async () => {
  const img = await openImage(work.image('fs1k'));
  await img.close();
  await img.close();
  expect(await rejection(img.list('/'))).toMatchObject({ code: 'E_USAGE', message: 'the image is closed' });
});

test('reading never changes the image file', async () => {
  for (const [key, file, partition] of [['fs4k', 'fs4k', undefined], ['fs1k', 'fs1k', undefined], ['gpt', 'gpt', undefined], ['mbr-p1', 'mbr', 1]] as const) {
    const img = await openImage(work.image(file), partition === undefined ? {} : { partition });
    for await (const { path, entry } of img.walk()) if (entry.type === 'file') await sha256Stream(img.createReadStream(path));
    await img.close();
    expect(await sha256File(work.image(file))).toBe(expected[key]!.imageSha256);
  }
});
