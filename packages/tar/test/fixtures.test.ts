import { describe, expect, test } from '@jest/globals';
import { tarEntries, tarVolumeEntries } from '@qubes-backup/tar';
import { chunked, expected, fixChecksum, fixture, SPLITS, summarize, type Summary } from './_helpers.js';

const LONG_NAME = Object.keys(expected).find((k) => k.startsWith('tree/long-file-name-'))!;
const PREFIX_FILE = Object.keys(expected).find((k) => k.endsWith('/in-prefix-dir.txt'))!;
const PREFIX_DIR = PREFIX_FILE.slice(0, -'in-prefix-dir.txt'.length);
const PRIVATE = Object.keys(expected).find((k) => k.endsWith('private.img.000'))!;
/** Files whose content is another file's (hardlinked in the source tree; tar stores the first name). */
const SAME_AS: Record<string, string> = { 'tree/hardlink.txt': 'tree/hello.txt', 'tree/hardlink-to-long': LONG_NAME };

/** Compares a member with the original file: whole sha256 with holes expanded, and the data regions of sparse files. */
function checkContent(m: Summary): void {
  const exp = expected[SAME_AS[m.path] ?? m.path.replace(/^.*\/(sparse\d+\.img|big\.img)$/, '$1')]!;
  expect(exp).toBeDefined();
  expect(m.size).toBe(exp.size);
  if (exp.sha256) expect(m.sha256).toBe(exp.sha256);
  if (exp.regions) {
    expect(m.sparse).toBe(true);
    expect(m.runs).toEqual(exp.regions);
    expect(m.storedSize).toBe(exp.regions.reduce((n, r) => n + r.length, 0));
  } else {
    expect(m.storedSize).toBe(m.size);
  }
}

const TREE: [string, string][] = [
  ['tree/', 'dir'], ['tree/hardlink.txt', 'file'], ['tree/long-symlink', 'symlink'], ['tree/hello.txt', 'hardlink'],
  [PREFIX_DIR, 'dir'], [PREFIX_FILE, 'file'], ['tree/sub/', 'dir'], ['tree/sub/inner.txt', 'file'],
  ['tree/sub/short-symlink', 'symlink'], ['tree/hardlink-to-long', 'file'], [LONG_NAME, 'hardlink'],
];

/** Fixture → (path, type) of each member in order; `ignoreZeros` for the concatenated outer archive. */
const CASES: { file: string; ignoreZeros?: boolean; members: [string, string][] }[] = [
  { file: 'outer.tar', ignoreZeros: true, members: [['backup-header', 'file'], ['backup-header.hmac', 'file'], [PRIVATE, 'file']] },
  { file: 'gnu-sparse.tar', members: [['sparse1.img', 'file'], ['sparse4.img', 'file'], ['sparse5.img', 'file']] },
  { file: 'gnu-sparse-many.tar', members: [['sparse33.img', 'file']] },
  { file: 'gnu-sparse-big.tar', members: [['big.img', 'file']] },
  { file: 'pax-sparse-0.0.tar', members: [['sparse5.img', 'file'], ['big.img', 'file']] },
  { file: 'pax-sparse-0.1.tar', members: [['sparse5.img', 'file'], ['big.img', 'file']] },
  { file: 'pax-sparse-1.0.tar', members: [['sparse5.img', 'file'], ['big.img', 'file']] },
  { file: 'gnu-links.tar', members: TREE },
  { file: 'pax-links.tar', members: TREE },
  { file: 'ustar-prefix.tar', members: [[PREFIX_DIR, 'dir'], [PREFIX_FILE, 'file']] },
  { file: 'gnu-small.tar', members: [['tree/long-symlink', 'symlink'], ['tree/sub/inner.txt', 'file'], [LONG_NAME, 'file']] },
  { file: 'v7.tar', members: [['tree/hello.txt', 'file'], ['tree/sub/', 'dir'], ['tree/sub/inner.txt', 'file'], ['tree/sub/short-symlink', 'symlink']] },
];

describe('GNU tar fixtures', () => {
  for (const c of CASES) {
    test(`${c.file}: members, content and sparse maps match the originals`, async () => {
      const ms = await summarize(tarEntries(chunked(fixture(c.file), 'whole'), { ignoreZeros: c.ignoreZeros ?? false }));
      expect(ms.map((m) => [m.path, m.type])).toEqual(c.members);
      for (const m of ms) {
        expect(m.mtime).toBe(1577934245);
        if (m.type === 'file') checkContent(m);
        if (m.type === 'symlink') expect(m.linkTarget).toBe(expected.links[m.path]);
        if (m.type === 'dir') expect(m.mode).toBe(0o755);
      }
    });

    test(`${c.file}: whole, 1-byte, 511, 513 and random splits give identical results`, async () => {
      const bytes = fixture(c.file);
      const base = await summarize(tarEntries(chunked(bytes, 'whole'), { ignoreZeros: c.ignoreZeros ?? false }));
      for (const split of SPLITS.slice(1)) {
        for (const seed of split === 'random' ? [1] : [1]) {
          const got = await summarize(tarEntries(chunked(bytes, split, seed), { ignoreZeros: c.ignoreZeros ?? false }));
          expect(got).toEqual(base);
        }
      }
    });
  }

  test('hardlink targets: L/K in GNU format, linkpath in PAX', async () => {
    for (const f of ['gnu-links.tar', 'pax-links.tar']) {
      const ms = await summarize(tarEntries(chunked(fixture(f), 'whole')));
      const links = Object.fromEntries(ms.filter((m) => m.type === 'hardlink').map((m) => [m.path, m.linkTarget]));
      expect(links).toEqual({ 'tree/hello.txt': 'tree/hardlink.txt', [LONG_NAME]: 'tree/hardlink-to-long' });
    }
  });

  test('outer archive: header offsets are the starts of each appended 10240-byte archive', async () => {
    const ms = await summarize(tarEntries(chunked(fixture('outer.tar'), 513), { ignoreZeros: true }));
    expect(ms.map((m) => m.headerOffset)).toEqual([0, 10240, 20480]);
  });

  test('without ignoreZeros the outer archive stops at the first end-of-archive marker', async () => {
    const ms = await summarize(tarEntries(chunked(fixture('outer.tar'), 'whole')));
    expect(ms.map((m) => m.path)).toEqual(['backup-header']);
  });

  test('PAX sparse 0.1 and 1.0 report the real name, not GNUSparseFile.<pid>/', async () => {
    for (const v of ['0.1', '1.0']) {
      const ms = await summarize(tarEntries(chunked(fixture(`pax-sparse-${v}.tar`), 'whole')));
      expect(ms.map((m) => m.path)).toEqual(['sparse5.img', 'big.img']);
    }
  });
});

const VOLUME_SETS: { dir: string; count: number; members: string[] }[] = [
  { dir: 'mv', count: 5, members: ['plain.bin', 'sparse6.img', 'hello-after.txt'] },
  { dir: 'mv-exact', count: 2, members: ['exact.bin', 'hello-after.txt'] },
];

async function* volumes(dir: string, names: string[], split: Parameters<typeof chunked>[1] = 'whole', seed = 1) {
  for (const n of names) yield chunked(fixture(`${dir}/${n}`), split, seed);
}
const vols = (count: number): string[] => Array.from({ length: count }, (_, i) => `vol${i + 1}`);

describe('GNU multi-volume (format 2)', () => {
  for (const s of VOLUME_SETS) {
    test(`${s.dir}: members continue across volumes and match the originals`, async () => {
      const ms = await summarize(tarVolumeEntries(volumes(s.dir, vols(s.count))));
      expect(ms.map((m) => m.path)).toEqual(s.members);
      for (const m of ms) checkContent(m);
    });

    test(`${s.dir}: identical under every split`, async () => {
      const base = await summarize(tarVolumeEntries(volumes(s.dir, vols(s.count))));
      for (const split of SPLITS.slice(1)) {
        expect(await summarize(tarVolumeEntries(volumes(s.dir, vols(s.count), split, 7)))).toEqual(base);
      }
    });
  }

  test('members can be skipped unread across volume boundaries', async () => {
    const seen: string[] = [];
    for await (const m of tarVolumeEntries(volumes('mv', vols(5)))) seen.push(m.path);
    expect(seen).toEqual(['plain.bin', 'sparse6.img', 'hello-after.txt']);
  });

  test('a missing last volume is a CorruptBackupError naming the member', async () => {
    const e = await summarize(tarVolumeEntries(volumes('mv', vols(4)))).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'sparse6.img' });
    expect(String(e)).toMatch(/truncated tar member 'sparse6.img'/);
  });

  test('a missing middle volume or volumes out of order is a CorruptBackupError', async () => {
    for (const order of [['vol1', 'vol3', 'vol4', 'vol5'], ['vol1', 'vol2', 'vol4', 'vol3', 'vol5'], ['vol2', 'vol1']]) {
      const e = await summarize(tarVolumeEntries(volumes('mv', order))).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'E_CORRUPT' });
    }
  });

  test('a continuation volume read on its own is refused, and so is a first volume without the rest', async () => {
    for (const v of ['vol2', 'vol1']) {
      const e = await summarize(tarEntries(chunked(fixture(`mv/${v}`), 'whole'))).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'plain.bin' });
    }
  });

  test('a continuation naming another member is refused', async () => {
    const v2 = fixture('mv/vol2').slice();
    v2[0] = 0x50; // 'plain.bin' -> 'Plain.bin'
    fixChecksum(v2, 0);
    async function* vs() {
      yield chunked(fixture('mv/vol1'), 'whole');
      yield chunked(v2, 'whole');
    }
    const e = await summarize(tarVolumeEntries(vs())).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'plain.bin' });
    expect(String(e)).toMatch(/expected tar member/);
  });
});

