// Archives the shared fixtures do not cover, written by make-archive.mjs as Wyng lays them out:
// chunk sizes from 64 KiB to 1 MiB, zlib, bz2 and zstd, sha256 hashes, many sessions, a volume that
// grows, shrinks and ends in a partial chunk, a session that changed nothing. Every session must
// restore to the image it was made from.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '@qubes-backup/testkit';
import { extract, inspect } from '@qubes-backup/restore';
import type { WyngArchiveInfo } from '@qubes-backup/format-wyng';
import { writeArchive, type ArchiveSpec, type SessionSpec } from './make-archive.mjs';
import { registry } from './_wyng.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-gen-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Six sessions of a volume: random writes, a grow, an unchanged session, a shrink to a partial last chunk. */
function history(seed: number, chunk: number): SessionSpec[] {
  const rnd = prng(seed);
  const write = (img: Uint8Array, n: number) => {
    for (let k = 0; k < n; k++) {
      const at = Math.floor(rnd() * (img.length - 4096));
      for (let i = 0; i < 4096; i++) img[at + i] = Math.floor(rnd() * 256) & (i % 7 ? 0xff : 0x0f);
    }
  };
  const sizes = [8 * chunk, 8 * chunk, 12 * chunk + 8192, 12 * chunk + 8192, 5 * chunk + 4096, 5 * chunk + 4096];
  const out: SessionSpec[] = [];
  let img = new Uint8Array(sizes[0]!);
  sizes.forEach((size, s) => {
    const next = new Uint8Array(size);
    next.set(img.subarray(0, Math.min(size, img.length)));
    if (s !== 3) write(next, 3);
    if (s === 4) next.fill(0, 0, chunk); // a chunk that became zeros
    img = next;
    out.push({ id: `2026010${s + 1}-0${s}0000`, image: img.slice(), tags: s === 1 ? ['weekly first'] : [] });
  });
  return out;
}

const variants: [string, Omit<ArchiveSpec, 'volumes'>][] = [
  ['64 KiB chunks, zlib', { chunkSize: 1 << 16, compression: 'zlib' }],
  ['128 KiB chunks, bz2, sha256 hashes', { chunkSize: 1 << 17, compression: 'bz2', hashtype: 'sha256' }],
  ['1 MiB chunks, zstd', { chunkSize: 1 << 20, compression: 'zstd' }],
];

describe.each(variants)('%s', (title, spec) => {
  const dir = join(work, title.replace(/\W+/g, '-'));
  const sessions = history(title.length, spec.chunkSize);
  const other = history(title.length + 1, spec.chunkSize).slice(0, 2);
  writeArchive(dir, { ...spec, volumes: [
    { vid: 'Vol_000001', name: 'vm-work-private', sessions },
    { vid: 'Vol_000002', name: 'notes-volume', sessions: other },
  ] });

  test('info: every session, the qube and the other volume', async () => {
    const info = (await inspect(dir, { registry: registry() })).info as WyngArchiveInfo;
    expect(info.chunkSize).toBe(spec.chunkSize);
    expect(info.volumes.map((v) => [v.name, v.sessions.length])).toEqual([['vm-work-private', 6], ['notes-volume', 2]]);
    expect(info.units.map((u) => [u.name, u.present])).toEqual([['work', true], ['notes-volume', true]]);
    expect(info.volumes[0]!.tags['weekly']).toEqual([sessions[1]!.id]);
  }, 60_000);

  test('every session restores to its image', async () => {
    for (const s of sessions) {
      const dest = join(dir, '..', `${title.replace(/\W+/g, '-')}-${s.id}`);
      const r = await extract(dir, { registry: registry(), dest, units: ['work'], settings: { session: s.id } });
      expect(r.ok).toBe(true);
      const out = join(dest, 'work', 'private.img');
      expect({ id: s.id, size: statSync(out).size, sha: sha(readFileSync(out)) }).toEqual({ id: s.id, size: s.image.length, sha: sha(s.image) });
    }
  }, 120_000);

  test('a volume without the session asked for is read at its newest one before it', async () => {
    const dest = join(dir, '..', `${title.replace(/\W+/g, '-')}-other`);
    const r = await extract(dir, { registry: registry(), dest, units: ['notes-volume'], settings: { session: sessions[4]!.id } });
    expect(r.ok).toBe(true);
    expect(sha(readFileSync(join(dest, 'notes-volume', 'notes-volume')))).toBe(sha(other[1]!.image));
  }, 60_000);
});

test('--session that no volume has is a usage error listing the sessions', async () => {
  const dir = join(work, '64-KiB-chunks-zlib');
  await expect(inspect(dir, { registry: registry(), settings: { session: '20990101-000000' } })).rejects.toMatchObject({
    code: 'E_USAGE', message: expect.stringMatching(/no session 20990101-000000 in this archive \(sessions: 20260101-000000, /),
  });
});

test('--session names one session exactly, even when session names go back in time (a clock set back, a time-zone change)', async () => {
  const dir = join(work, 'clock-back');
  const chunk = 1 << 16;
  const a = new Uint8Array(chunk).fill(0x41);
  const b = new Uint8Array(chunk).fill(0x42);
  // Wyng names a session by the local time it started; its sequence keeps the true order.
  writeArchive(dir, { chunkSize: chunk, volumes: [{ vid: 'Vol_000001', name: 'vm-work-private', sessions: [{ id: '20241027-023000', image: a }, { id: '20241027-021500', image: b }] }] });
  for (const [id, image] of [['20241027-023000', a], ['20241027-021500', b]] as const) {
    const dest = join(work, `clock-back-${id}`);
    expect((await extract(dir, { registry: registry(), dest, settings: { session: id } })).ok).toBe(true);
    expect(sha(readFileSync(join(dest, 'work', 'private.img')))).toBe(sha(image));
  }
}, 60_000);

test('an archive that says it is not encrypted is refused when a passphrase was given (its ci line is not authenticated)', async () => {
  const dir = join(work, 'not-encrypted');
  writeArchive(dir, { chunkSize: 1 << 16, volumes: [{ vid: 'Vol_000001', name: 'vm-work-private', sessions: [{ id: '20260101-000000', image: new Uint8Array(1 << 16).fill(7) }] }] });
  await expect(inspect(dir, { registry: registry(), passphrase: 'a passphrase' })).rejects.toMatchObject({ code: 'E_AUTH', member: 'archive.ini' });
  expect((await inspect(dir, { registry: registry() })).info.encrypted).toBe(false);
});

test('two volumes that would restore to one file never overwrite each other', async () => {
  const dir = join(work, 'same-target');
  const chunk = 1 << 16;
  const image = (byte: number) => new Uint8Array(chunk).fill(byte);
  writeArchive(dir, {
    chunkSize: chunk,
    volumes: [
      // One qube's private image under both names wyng-util-qubes gives (the qube moved from an LVM to a file pool).
      { vid: 'Vol_000001', name: 'vm-work-private', sessions: [{ id: '20260101-000000', image: image(1) }] },
      { vid: 'Vol_000002', name: 'appvms/work/private.img', sessions: [{ id: '20260201-000000', image: image(2) }] },
      // Two names that meet once '/' becomes '_'.
      { vid: 'Vol_000003', name: 'a/b/c', sessions: [{ id: '20260101-000000', image: image(3) }] },
      { vid: 'Vol_000004', name: 'a_b/c', sessions: [{ id: '20260101-000000', image: image(4) }] },
    ],
  });
  const dest = join(work, 'same-target-out');
  expect((await extract(dir, { registry: registry(), dest })).ok).toBe(true);
  const got = (path: string) => readFileSync(join(dest, path))[0];
  expect([got('work/private.img'), got('vm-work-private/vm-work-private'), got('a_b_c/c'), got('a_b_c~Vol_000004/c')]).toEqual([2, 1, 3, 4]);
});

test('a damaged wyng-qubes-metadata volume costs only the qubes\' settings: the images still restore', async () => {
  const dir = join(work, 'metadata-damaged');
  const chunk = 1 << 16;
  writeArchive(dir, {
    chunkSize: chunk,
    volumes: [
      { vid: 'Vol_000001', name: 'vm-work-private', sessions: [{ id: '20260101-000000', image: new Uint8Array(chunk).fill(5) }] },
      // Authentic, but no gzip tar holding a qubes.xml: as a volume whose content does not parse.
      { vid: 'Vol_000002', name: 'wyng-qubes-metadata', sessions: [{ id: '20260101-000000', image: new Uint8Array(chunk).fill(9) }] },
    ],
  });
  const info = (await inspect(dir, { registry: registry() })).info as WyngArchiveInfo;
  expect(info.qubesUnread).toMatch(/wyng-qubes-metadata/);
  expect(info.qubes).toBeUndefined();
  const dest = join(work, 'metadata-damaged-out');
  const r = await extract(dir, { registry: registry(), dest, units: ['work'] });
  expect(r.ok).toBe(true);
  expect(readFileSync(join(dest, 'work', 'private.img'))[0]).toBe(5);
});
