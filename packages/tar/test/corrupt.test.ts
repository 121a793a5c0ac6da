import { describe, expect, test } from '@jest/globals';
import { concatBytes, type Container } from '@qubes-backup/core';
import { drain } from '@qubes-backup/testkit';

type ContainerOptions = NonNullable<Parameters<Container['entries']>[1]>;
import { MAX_SPARSE_ENTRIES, tarEntries, tarVolumeEntries } from '@qubes-backup/tar';
import { chunked, END, entry, errorOf, fixChecksum, fixture, paxRecord, prng } from './_helpers.js';

const enc = new TextEncoder();

/** Reads every member's body; resolves to the member count. */
async function parseAll(bytes: Uint8Array, opts: ContainerOptions = {}, split: Parameters<typeof chunked>[1] = 'whole'): Promise<number> {
  let n = 0;
  for await (const m of tarEntries(chunked(bytes, split), opts)) {
    n++;
    for await (const e of m.extents()) void e;
  }
  return n;
}

/** Either parses or fails with E_CORRUPT: anything else (TypeError, RangeError, a hang) fails the test. */
async function parsesOrCorrupt(bytes: Uint8Array, opts: ContainerOptions = {}): Promise<'ok' | 'corrupt'> {
  const e = await errorOf(parseAll(bytes, opts));
  if (e === undefined) return 'ok';
  if ((e as { code?: string }).code !== 'E_CORRUPT') throw e;
  return 'corrupt';
}

/** The meaningful part of a fixture: up to and including its end-of-archive marker. */
function trimmed(name: string): Uint8Array {
  const b = fixture(name);
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, Math.ceil(end / 512) * 512 + 1024);
}

describe('truncation', () => {
  test('every prefix of a GNU archive with L/K headers either parses or is a CorruptBackupError', async () => {
    const bytes = trimmed('gnu-small.tar');
    let ok = 0;
    for (let n = 0; n <= bytes.length; n++) {
      if ((await parsesOrCorrupt(bytes.subarray(0, n))) === 'ok') ok++;
      // ignoreZeros changes only what happens at block boundaries and in zero runs.
      if (n % 512 <= 1 || n % 512 === 511) {
        if ((await parsesOrCorrupt(bytes.subarray(0, n), { ignoreZeros: true })) === 'ok') ok++;
      }
    }
    // Without ignoreZeros only prefixes holding the end marker parse; with it, block-aligned cuts between members.
    expect(ok).toBeGreaterThan(512);
    expect(ok).toBeLessThan(2000);
  });

  test('cuts at every block boundary (and a stride) of sparse archives never fail any other way', async () => {
    // parsesOrCorrupt throws on any other outcome; the tally shows the cuts were made and judged.
    const tally: Record<string, { ok: number; corrupt: number }> = {};
    for (const name of ['gnu-sparse-many.tar', 'pax-sparse-1.0.tar', 'pax-sparse-0.0.tar', 'gnu-sparse-big.tar', 'pax-links.tar']) {
      const bytes = trimmed(name);
      const t = (tally[name] = { ok: 0, corrupt: 0 });
      for (let n = 0; n <= bytes.length; n++) {
        const boundary = n % 512 <= 1 || n % 512 === 511;
        if (boundary || n % 1021 === 0) t[await parsesOrCorrupt(bytes.subarray(0, n))]++;
        if (boundary && n % 4096 <= 1) t[await parsesOrCorrupt(bytes.subarray(0, n), { ignoreZeros: true })]++;
      }
      // The whole archive parses; cuts inside its members do not.
      expect(await parsesOrCorrupt(bytes)).toBe('ok');
      expect([name, t.corrupt > 3]).toEqual([name, true]);
    }
    expect(Object.keys(tally)).toHaveLength(5);
  });

  test('a cut inside a body names the member', async () => {
    const bytes = fixture('gnu-sparse.tar');
    const e = await errorOf(parseAll(bytes.subarray(0, 4608 + 1024 + 100)));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'sparse4.img' });
    expect(String(e)).toContain("truncated tar member 'sparse4.img'");
  });

  test('a cut inside a PAX header names that header', async () => {
    const e = await errorOf(parseAll(fixture('pax-links.tar').subarray(0, 600)));
    expect(e).toMatchObject({ code: 'E_CORRUPT' });
    expect(String(e)).toMatch(/truncated tar member '.*PaxHeaders/);
  });

  test('an archive without its end marker is refused unless ignoreZeros', async () => {
    const bytes = entry('a.txt', enc.encode('hello'));
    expect(await errorOf(parseAll(bytes))).toMatchObject({ code: 'E_CORRUPT' });
    expect(await parseAll(bytes, { ignoreZeros: true })).toBe(1);
    expect(await parseAll(concatBytes([bytes, END]))).toBe(1);
  });

  test('appendedArchives: each appended archive keeps its end marker, so a cut before one is truncation, naming the last member', async () => {
    const a = concatBytes([entry('a.txt', enc.encode('hello')), END]);
    const b = concatBytes([entry('b.txt', enc.encode('world')), END]);
    const opts = { ignoreZeros: true, appendedArchives: true };
    expect(await parseAll(concatBytes([a, b]), opts)).toBe(2);
    // Cut at a block boundary in the record padding after the last end marker: nothing to tell.
    expect(await parseAll(concatBytes([a, b, new Uint8Array(1024)]), opts)).toBe(2);
    // No input at all is for the caller to call empty.
    expect(await parseAll(new Uint8Array(0), opts)).toBe(0);
    // Before the end marker, inside it, and mid-block after it (tar writes whole blocks: that file was cut,
    // maybe in the padding of a member in the middle).
    const cuts = [concatBytes([a, b.subarray(0, 1024)]), concatBytes([a, b.subarray(0, 1024 + 512)]), concatBytes([a, b, new Uint8Array(700)])];
    for (const cut of cuts) {
      const e = await errorOf(parseAll(cut, opts));
      expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'b.txt' });
      expect(String(e)).toMatch(/truncated: the backup ends at offset \d+ after 'b\.txt' without an end-of-archive marker/);
      // tar -i reads the same bytes as complete.
      expect(await parseAll(cut, { ignoreZeros: true })).toBe(2);
    }
  });

  test('truncated multi-volume sets fail with E_CORRUPT at every cut of the last volume before its end marker', async () => {
    const v = ['vol1', 'vol2', 'vol3', 'vol4', 'vol5'].map((n) => fixture(`mv/${n}`));
    const last = v[4]!;
    // The last volume's data ends in the block before its first zero block (the end marker).
    let end = last.length;
    while (end > 0 && last[end - 1] === 0) end--;
    const marker = Math.ceil(end / 512) * 512;
    const outcomes: string[] = [];
    const want: string[] = [];
    for (let n = 0; n <= last.length; n += 256) {
      async function* vols() {
        for (let i = 0; i < 4; i++) yield chunked(v[i]!, 'whole');
        yield chunked(last.subarray(0, n), 'whole');
      }
      const e = await errorOf((async () => { for await (const m of tarVolumeEntries(vols())) await drain(m.body()); })());
      outcomes.push(`${n}:${e === undefined ? 'ok' : (e as { code?: string }).code}`);
      // Up to the end marker's first block every cut loses data; from there on nothing is lost.
      want.push(`${n}:${n < marker + 512 ? 'E_CORRUPT' : 'ok'}`);
    }
    expect(outcomes).toEqual(want);
    expect(want.filter((w) => w.endsWith('E_CORRUPT')).length).toBeGreaterThan(20);
  });
});

describe('garbage', () => {
  test('a bad header checksum is a CorruptBackupError', async () => {
    const bytes = fixture('gnu-links.tar').slice();
    bytes[1] ^= 1;
    const e = await errorOf(parseAll(bytes));
    expect(e).toMatchObject({ code: 'E_CORRUPT' });
    expect(String(e)).toMatch(/checksum/);
  });

  test('random bytes are refused', async () => {
    const rnd = prng(5);
    for (let i = 0; i < 200; i++) {
      const b = new Uint8Array(512 * (1 + Math.floor(rnd() * 4))).map(() => Math.floor(rnd() * 256));
      expect(await parsesOrCorrupt(b)).toBe('corrupt');
    }
  });

  test('mutated headers with valid checksums parse or fail with E_CORRUPT, never otherwise', async () => {
    const rnd = prng(9);
    const sources = ['gnu-links.tar', 'gnu-sparse.tar', 'pax-sparse-1.0.tar', 'pax-sparse-0.1.tar', 'outer.tar'].map(trimmed);
    const flags = enc.encode('0125xgLKSMV7\0');
    const tally = { ok: 0, corrupt: 0 };
    for (let i = 0; i < 800; i++) {
      const src = sources[i % sources.length]!;
      const b = src.slice();
      const blocks = b.length / 512;
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
        const at = Math.floor(rnd() * blocks) * 512;
        const r = rnd();
        if (r < 0.3) b[at + 156] = flags[Math.floor(rnd() * flags.length)]!;
        else if (r < 0.6) b[at + 124 + Math.floor(rnd() * 12)] = r < 0.45 ? 0x80 | Math.floor(rnd() * 128) : 0x30 + Math.floor(rnd() * 8);
        else b[at + Math.floor(rnd() * 512)] = Math.floor(rnd() * 256);
        if (rnd() < 0.8) fixChecksum(b, at);
      }
      tally[await parsesOrCorrupt(b, { ignoreZeros: rnd() < 0.5, maxSize: 2 ** 40 })]++;
    }
    // Both outcomes occur: the mutations reach the parser's checks and leave some archives valid.
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.corrupt).toBeGreaterThan(0);
    expect(tally.ok + tally.corrupt).toBe(800);
  });
});

describe('limits', () => {
  test('a PAX header over 1 MiB is refused before it is read', async () => {
    const h = entry('PaxHeaders/x', 0, 'x', 2 << 20);
    const e = await errorOf(parseAll(h));
    expect(e).toMatchObject({ code: 'E_CORRUPT' });
    expect(String(e)).toMatch(/over the 1048576-byte limit/);
  });

  test('a GNU long name over 64 KiB is refused before it is read', async () => {
    const e = await errorOf(parseAll(entry('././@LongLink', 0, 'L', 100 << 10)));
    expect(String(e)).toMatch(/GNU long name .* over the 65536-byte limit/);
  });

  test('a PAX 1.0 sparse map with more than MAX_SPARSE_ENTRIES entries is refused', async () => {
    const pax = enc.encode(paxRecord('GNU.sparse.major', '1') + paxRecord('GNU.sparse.minor', '0')
      + paxRecord('GNU.sparse.name', 'big') + paxRecord('GNU.sparse.realsize', '1000000000'));
    const map = new Uint8Array(512);
    map.set(enc.encode(`${MAX_SPARSE_ENTRIES + 1}\n`));
    const e = await errorOf(parseAll(concatBytes([entry('PaxHeaders/big', pax, 'x'), entry('GNUSparseFile.1/big', map), END])));
    expect(e).toMatchObject({ code: 'E_CORRUPT' });
    expect(String(e)).toMatch(/more than 1000000 entries/);
  });

  test('maxSize refuses a larger logical size (sparse bomb)', async () => {
    for (const f of ['gnu-sparse-big.tar', 'pax-sparse-1.0.tar', 'pax-sparse-0.0.tar']) {
      const e = await errorOf(parseAll(fixture(f), { maxSize: 1 << 30 }));
      expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'big.img' });
    }
    expect(await parseAll(fixture('gnu-sparse-big.tar'), { maxSize: 10 * 2 ** 30 })).toBe(1);
  });

  /** Rewrites sparse4.img's map (header at 4608 of gnu-sparse.tar: 4 slots at 386, realsize at 483). */
  function withMap(edit: (slots: [number, number][]) => void, size?: number): Uint8Array {
    const b = fixture('gnu-sparse.tar').slice();
    const h = b.subarray(4608, 5120);
    const slots: [number, number][] = [];
    const dec = new TextDecoder();
    for (let i = 0; i < 4; i++) {
      const o = 386 + i * 24;
      slots.push([parseInt(dec.decode(h.subarray(o, o + 11)), 8), parseInt(dec.decode(h.subarray(o + 12, o + 23)), 8)]);
    }
    edit(slots);
    slots.forEach(([off, n], i) => {
      h.set(enc.encode(off.toString(8).padStart(11, '0')), 386 + i * 24);
      h.set(enc.encode(n.toString(8).padStart(11, '0')), 386 + i * 24 + 12);
    });
    if (size !== undefined) h.set(enc.encode(size.toString(8).padStart(11, '0')), 124);
    fixChecksum(b, 4608);
    return b;
  }

  test('the unedited map helper round-trips', async () => {
    expect(await parseAll(withMap(() => {}))).toBe(3);
  });

  test.each([
    ['out of order', (s: [number, number][]) => { const t = s[0]!; s[0] = s[1]!; s[1] = t; }, /out of order/],
    ['overlapping', (s: [number, number][]) => { s[1]![0] = s[0]![0] + 100; }, /overlap/],
    ['beyond realsize', (s: [number, number][]) => { s[3]![0] = 10_000_000; }, /beyond the real size/],
    ['not adding up', (s: [number, number][]) => { s[3]![1] = 512; }, /add up/],
  ])('a sparse map %s is refused', async (_name, edit, msg) => {
    const e = await errorOf(parseAll(withMap(edit)));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'sparse4.img' });
    expect(String(e)).toMatch(msg);
  });
});

describe('PAX global headers', () => {
  test('all of them together are bounded as one header is: many stop the read, one passes', async () => {
    const record = (i: number) => enc.encode(paxRecord(`comment.${i}`, 'x'.repeat(60_000)));
    const one = concatBytes([entry('', record(0), 'g'), entry('a', enc.encode('data')), END]);
    expect(await parseAll(one)).toBe(1);
    const many = concatBytes([...Array.from({ length: 40 }, (_, i) => entry('', record(i), 'g')), entry('a', enc.encode('data')), END]);
    expect(await errorOf(parseAll(many))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('PAX global headers of more than 1048576 bytes in all') });
  });
});
