import { describe, expect, test } from '@jest/globals';
import { collect, concatBytes, type Member } from '@qubes-backup/core';
import { drain } from '@qubes-backup/testkit';
import { tarContainer, tarEntries } from '@qubes-backup/tar';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chunked, END, entry, errorOf, fixture, memorySource, paxRecord, sha256 } from './_helpers.js';

const MiB = 1 << 20;
let seed = 0x9e3779b9;
function big(n: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    words[i] = seed >>> 0;
  }
  return new Uint8Array(words.buffer, 0, n);
}
const bodies = [big(3 * MiB + 17), big(5 * MiB), new TextEncoder().encode('small'), big(2 * MiB + 1)];
const archive = concatBytes([...bodies.map((b, i) => entry(`f${i}`, b)), END]);

describe('seekable sources', () => {
  test('skipping unread bodies re-opens the source instead of reading through them', async () => {
    const src = memorySource(archive);
    const names: string[] = [];
    for await (const m of tarEntries(src)) names.push(m.path);
    expect(names).toEqual(['f0', 'f1', 'f2', 'f3']);
    // Each re-open reads one 64 KiB chunk at most; the archive is 10 MiB.
    expect(src.delivered).toBeLessThan(6 * 65536);
    expect(src.opened.length).toBe(4);
  });

  test('a pipe (not seekable) is read through', async () => {
    const src = memorySource(archive, { seekable: false });
    for await (const m of tarEntries(src)) void m;
    expect(src.delivered).toBe(archive.length);
  });

  test('a partly read body is seeked over, and the next bodies are intact', async () => {
    const src = memorySource(archive, { knownSize: false });
    const got: string[] = [];
    for await (const m of tarEntries(src)) {
      if (m.path === 'f0') {
        for await (const c of m.body()) { expect(c.length).toBeLessThanOrEqual(MiB); break; }
      } else {
        got.push(sha256(await collect(m.body(), 8 * MiB)));
      }
    }
    expect(got).toEqual(bodies.slice(1).map(sha256));
    expect(src.delivered).toBeLessThan(archive.length - 2 * MiB);
  });

  test('a body cut short is detected when seeking, with or without a known size', async () => {
    const cut = archive.subarray(0, 512 + 2 * MiB);
    for (const knownSize of [true, false]) {
      const e = await errorOf((async () => { for await (const m of tarEntries(memorySource(cut, { knownSize }), { ignoreZeros: true })) void m; })());
      expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'f0' });
    }
  });

  test('headerOffset locates each member', async () => {
    const offsets: number[] = [];
    for await (const m of tarEntries(memorySource(archive))) offsets.push(m.headerOffset);
    let o = 0;
    expect(offsets).toEqual(bodies.map((b) => { const at = o; o += 512 + Math.ceil(b.length / 512) * 512; return at; }));
  });
});

describe('member lifecycle', () => {
  test('pieces are at most 1 MiB, extents of a plain member start at 0', async () => {
    for await (const m of tarEntries(chunked(archive, 'whole'))) {
      let off = 0;
      for await (const e of m.extents()) {
        expect(e.offset).toBe(off);
        expect(e.bytes.length).toBeLessThanOrEqual(MiB);
        off += e.bytes.length;
      }
      expect(off).toBe(m.size);
    }
  });

  test('a body can be read once, and not after the container advanced', async () => {
    const it = tarEntries(chunked(fixture('gnu-links.tar'), 'whole'))[Symbol.asyncIterator]();
    await it.next();
    const m = (await it.next()).value as Member;
    expect(new TextDecoder().decode(await collect(m.body(), 100))).toBe('hello\n');
    expect(await errorOf(drain(m.body()))).toMatchObject({ code: 'E_USAGE' });
    const next = (await it.next()).value as Member;
    expect(await errorOf(drain(m.extents() as AsyncIterable<never>))).toMatchObject({ code: 'E_USAGE' });
    expect(next.path).toBe('tree/long-symlink');
    await it.return?.(undefined);
  });

  test('stopping the iteration early closes the source', async () => {
    let closed = false;
    async function* src() {
      try { yield archive; } finally { closed = true; }
    }
    for await (const m of tarEntries(src())) { void m; break; }
    expect(closed).toBe(true);
  });

  test('an aborted signal stops reading', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await errorOf(drain((async function* () { for await (const m of tarEntries(chunked(archive, 'whole'), { signal: ac.signal })) yield m.headerOffset; })() as AsyncIterable<never>));
    expect((e as Error).name).toBe('AbortError');
  });

  test('onProgress reports every byte read from a pipe', async () => {
    let n = 0;
    for await (const m of tarEntries(chunked(archive, 513), { onProgress: (d) => { n += d; } })) void m;
    expect(n).toBe(archive.length - 512);
  });

  test('bad arguments are TypeErrors', async () => {
    expect(await errorOf(drain(tarEntries(42 as never) as AsyncIterable<never>))).toBeInstanceOf(TypeError);
  });
});

describe('PAX records', () => {
  const enc = new TextEncoder();
  const x = (type: 'x' | 'g', ...recs: [string, string][]) => entry('PaxHeaders/p', enc.encode(recs.map(([k, v]) => paxRecord(k, v)).join('')), type);

  test('global records apply to later members, x records to the next one, an empty value unsets', async () => {
    const tar = concatBytes([
      x('g', ['mtime', '5'], ['linkpath', 'global-target']),
      entry('a', 0),
      x('x', ['mtime', '7.25'], ['path', 'renamed/\u00e9']),
      entry('b', 0),
      x('x', ['mtime', '']),
      entry('c', 0),
      END,
    ]);
    const got: [string, number, string | undefined][] = [];
    for await (const m of tarEntries(chunked(tar, 'whole'))) got.push([m.path, m.mtime, m.linkTarget]);
    expect(got).toEqual([['a', 5, 'global-target'], ['renamed/\u00e9', 7, 'global-target'], ['c', 1577934245, 'global-target']]);
  });

  test('PAX size overrides the header size field', async () => {
    const body = enc.encode('0123456789');
    const h = entry('big', body, '0', 0);
    const tar = concatBytes([x('x', ['size', '10']), h, END]);
    for await (const m of tarEntries(chunked(tar, 'whole'))) {
      expect(m.size).toBe(10);
      expect(new TextDecoder().decode(await collect(m.body(), 100))).toBe('0123456789');
    }
  });
});

describe('plugin descriptor', () => {
  test('tarContainer is the portable tar container', async () => {
    expect(tarContainer).toMatchObject({ kind: 'container', name: 'tar', backend: 'portable' });
    const c = tarContainer.create();
    expect(c.info.name).toBe('tar');
    const names: string[] = [];
    for await (const m of c.entries(chunked(fixture('v7.tar'), 'whole'))) names.push(m.path);
    expect(names).toHaveLength(4);
    expect(typeof c.volumeEntries).toBe('function');
  });

  test('the reader imports no node:* module', () => {
    const dir = fileURLToPath(new URL('../src/', import.meta.url));
    for (const f of readdirSync(dir)) expect(readFileSync(dir + f, 'utf8')).not.toMatch(/from 'node:/);
  });
});
