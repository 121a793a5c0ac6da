// The archives the real Wyng 0.8 rc4 wrote: info lists every volume and session, every session of
// every volume restores (sparse) to the sha256 `wyng receive` gave, and the files listed for the
// last session of a private volume come out of its image with their sha256.
import { afterAll, expect } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WyngArchiveInfo } from '@qubes-backup/format-wyng';
import { copyOut, openImage } from '@qubes-backup/image-ext4';
import { extract, inspect, restoreImage, verify } from '@qubes-backup/restore';
import { registry, sha256File, testEachWyng, type WyngFixture } from './_wyng.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const options = (f: WyngFixture, settings: Record<string, string> = {}) => ({
  registry: registry(), settings, ...(f.manifest.passphrase !== null ? { passphrase: f.manifest.passphrase } : {}),
});

/** Where a volume's image lands under the destination: `<qube>/private.img`, or `<volume>/<volume>`. */
function outputOf(volume: string): string {
  const lvm = /^vm-(.+)-(private|root)$/.exec(volume);
  if (lvm) return `${lvm[1]}/${lvm[2]}.img`;
  const file = /^[^/]+\/([^/]+)\/(private|root)\.img$/.exec(volume);
  if (file) return `${file[1]}/${file[2]}.img`;
  return `${volume.replace(/\//g, '_')}/${volume.split('/').pop()}`;
}

testEachWyng('info lists every volume with its sessions, and the qubes of the metadata volume', async (f) => {
  const { info } = await inspect(f.archive, options(f));
  const w = info as WyngArchiveInfo;
  expect(w.format).toBe('wyng');
  expect(w.encrypted).toBe(f.manifest.passphrase !== null);
  const want = Object.entries(f.manifest.volumes).map(([name, v]) => ({ name, sessions: Object.keys(v.sessions).sort() })).sort((a, b) => a.name.localeCompare(b.name));
  expect(w.volumes.map((v) => ({ name: v.name, sessions: [...v.sessions] })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(want);
  if ('wyng-qubes-metadata' in f.manifest.volumes) {
    expect(w.qubes?.map((q) => q.name)).toEqual(expect.arrayContaining(['work', 'personal']));
    expect(w.units.filter((u) => u.present).map((u) => u.name).sort()).toEqual(['personal', 'work', 'wyng-qubes-metadata']);
  }
});

testEachWyng('every session of every volume restores sparse, with the sha256 Wyng gave', async (f) => {
  const sessions = [...new Set(Object.values(f.manifest.volumes).flatMap((v) => Object.keys(v.sessions)))].sort();
  for (const s of sessions) {
    const dest = join(work, f.name, s);
    const r = await extract(f.archive, { ...options(f, { session: s }), dest });
    expect(r.ok).toBe(true);
    for (const [name, v] of Object.entries(f.manifest.volumes)) {
      const want = v.sessions[s];
      if (!want) continue;
      const out = join(dest, outputOf(name));
      expect({ name, s, sha256: sha256File(out) }).toEqual({ name, s, sha256: want.sha256 });
      const st = statSync(out);
      expect(st.size).toBe(want.size);
      // Zero chunks are holes: these images are mostly empty.
      if (want.size > 1 << 20) expect(st.blocks * 512).toBeLessThan(want.size / 4);
    }
  }
});

testEachWyng('verify reads and checks every chunk of every session, writing nothing', async (f) => {
  const r = await verify(f.archive, options(f));
  expect(r.ok).toBe(true);
  expect(r.units.every((u) => u.status === 'ok')).toBe(true);
});

testEachWyng('every file listed for a private volume comes out of its image with its sha256', async (f) => {
  for (const [name, v] of Object.entries(f.manifest.volumes)) {
    for (const [s, state] of Object.entries(v.sessions)) {
      if (!state.files?.length) continue;
      const vm = outputOf(name).split('/')[0]!;
      const img = await restoreImage(f.archive, { ...options(f, { session: s }), vm, volume: 'private', workDir: join(work, f.name, 'img', vm, s) });
      const image = await openImage(img);
      const dest = join(work, f.name, 'files', vm, s);
      try {
        await copyOut(image, state.files.map((x) => x.path), dest);
      } finally {
        await image.close();
      }
      for (const file of state.files) expect({ path: file.path, sha256: sha256File(join(dest, file.path)) }).toEqual({ path: file.path, sha256: file.sha256 });
    }
  }
});

testEachWyng('a wrong passphrase is E_PASSPHRASE, told apart from a modified archive', async (f) => {
  await expect(inspect(f.archive, { ...options(f), passphrase: 'not the passphrase' })).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
}, 120_000, (f) => f.manifest.passphrase !== null);

testEachWyng('an archive that says it is not encrypted is refused when a passphrase was given (its ci line is not authenticated)', async (f) => {
  await expect(inspect(f.archive, { ...options(f), passphrase: 'a passphrase' })).rejects.toMatchObject({
    code: 'E_AUTH', member: 'archive.ini', message: expect.stringContaining('not encrypted (ci = 00), but a passphrase was given'),
  });
  expect((await inspect(f.archive, options(f))).info.encrypted).toBe(false);
}, 120_000, (f) => f.manifest.passphrase === null);
