// Chunks fetched ahead: in the order they are taken, within a budget, never for files not wanted,
// errors seen where the chunk is taken (never as unhandled rejections), dropped slots let go.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource, DirectorySource } from '@qubes-backup/core';
import { directorySource, extract, list } from '@qubes-backup/restore';
import { ChunkPrefetch } from '../src/chunk-prefetch.js';
import type { ChunkRef } from '../src/chunk-list.js';
import { cases, compareWithBorg, optionsOf } from './_borg.js';

const chunk = (n: number, size = 1 << 20): ChunkRef => ({ id: new Uint8Array(32).fill(n), size });

/** A fetch that resolves when told to, recording the order of requests. */
function manualFetch() {
  const asked: number[] = [];
  const pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  const fetch = (c: ChunkRef) => new Promise<Uint8Array>((resolve, reject) => {
    asked.push(c.id[0]!);
    pending.set(c.id[0]!, { resolve, reject });
  });
  return { asked, pending, fetch };
}

describe('ChunkPrefetch', () => {
  test('starts chunks in plan order, at most 8 MiB and 16 chunks ahead, one more as each is taken', async () => {
    const f = manualFetch();
    const p = new ChunkPrefetch(f.fetch);
    const big = p.plan(Array.from({ length: 40 }, (_, i) => chunk(i, 3 << 19)), 'a');
    expect(f.asked).toEqual([0, 1, 2, 3, 4]); // 5 × 1.5 MiB = 7.5 MiB; a sixth would pass 8 MiB
    f.pending.get(0)!.resolve(new Uint8Array(1));
    await p.take(big[0]!);
    expect(f.asked).toEqual([0, 1, 2, 3, 4, 5]);
    const small = new ChunkPrefetch(f.fetch).plan(Array.from({ length: 40 }, (_, i) => chunk(100 + i, 10)), 'b');
    expect(f.asked.filter((n) => n >= 100)).toHaveLength(16);
    expect(small).toHaveLength(40);
  });

  test('a chunk larger than the budget is still fetched, alone', () => {
    const f = manualFetch();
    new ChunkPrefetch(f.fetch).plan([chunk(1, 64 << 20), chunk(2, 1)], 'a');
    expect(f.asked).toEqual([1]);
  });

  test('taking a slot not yet started fetches it now; later slots of the plan follow', async () => {
    const f = manualFetch();
    const p = new ChunkPrefetch(f.fetch);
    const slots = p.plan(Array.from({ length: 10 }, (_, i) => chunk(i, 2 << 20)), 'a');
    expect(f.asked).toEqual([0, 1, 2, 3]);
    const got = p.take(slots[7]!);
    expect(f.asked).toEqual([0, 1, 2, 3, 7]);
    f.pending.get(7)!.resolve(Uint8Array.of(7));
    expect(await got).toEqual(Uint8Array.of(7));
  });

  test('a failed fetch rejects where it is taken, and a dropped one is never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const f = manualFetch();
      const p = new ChunkPrefetch(f.fetch);
      const slots = p.plan([chunk(1), chunk(2)], 'a');
      f.pending.get(1)!.reject(new Error('damaged 1'));
      f.pending.get(2)!.reject(new Error('damaged 2'));
      await expect(p.take(slots[0]!)).rejects.toThrow('damaged 1');
      p.drop(slots);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('dropped slots free their budget and let go of their bytes; the next plan starts at once', () => {
    const f = manualFetch();
    const p = new ChunkPrefetch(f.fetch);
    const first = p.plan(Array.from({ length: 8 }, (_, i) => chunk(i, 2 << 20)), 'a');
    expect(f.asked).toEqual([0, 1, 2, 3]);
    p.drop(first);
    expect(first.every((s) => s.done && s.fetched === undefined)).toBe(true);
    expect(f.asked).toEqual([0, 1, 2, 3]); // dropped slots are not started
    p.plan([chunk(50, 2 << 20)], 'b');
    expect(f.asked).toEqual([0, 1, 2, 3, 50]);
    expect(p.hungry).toBe(true);
  });
});

describe('fetching ahead in a restore', () => {
  const work = mkdtempSync(join(tmpdir(), 'qbt-borg-prefetch-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The repository folder, counting the segment bytes read. */
  function counted(path: string): { dir: DirectorySource; read: () => number } {
    const inner = directorySource(path);
    let n = 0;
    const wrap = (s: ByteSource): ByteSource => ({
      ...s,
      stream: s.stream.bind(s),
      read: async (offset: number, length: number) => { const b = await s.read!(offset, length); if (s.name.includes('/data/')) n += b.length; return b; },
    });
    return { dir: { ...inner, list: inner.list.bind(inner), file: async (rel: string) => wrap(await inner.file(rel)) }, read: () => n };
  }

  test('a restore of one path reads the chunks of that file, not those of the files around it', async () => {
    const c = cases.find((x) => x.name === 'chunks')!;
    const archive = c.expected.archives[0]!;
    const files = archive.files.filter((f) => f.type === 'file' && (f.size ?? 0) > 0 && !f.hardlink_to);
    const one = files.find((f) => f.path === 'home/user/notes.txt')!;
    const listing = counted(c.repo);
    for await (const _ of list(listing.dir, { ...optionsOf(c), units: [archive.name] })) { /* items only */ }
    const some = counted(c.repo);
    const r = await extract(some.dir, { ...optionsOf(c), dest: join(work, 'one'), units: [archive.name], paths: [one.path] });
    expect(r.ok).toBe(true);
    expect(compareWithBorg(join(work, 'one', archive.name), [one])).toEqual([]);
    // What a listing reads (manifest, archive, items), and the one file's chunk with its envelope.
    const others = files.filter((f) => f !== one).reduce((a, f) => a + f.size!, 0);
    expect(others).toBeGreaterThan(400_000);
    expect(some.read()).toBeLessThanOrEqual(listing.read() + one.size! + 100);
  });
});
