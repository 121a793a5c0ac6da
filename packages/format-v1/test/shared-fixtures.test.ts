// The v1 directory backup built from the Qubes developers' own test files (create_v1_files +
// QUBESXML_R1), shipped as a GNU sparse tar.xz: unpacked (holes kept) with the registry's own xz
// and tar, then restored through the restore library and compared with its manifest.
import { describe, expect, test } from '@jest/globals';
import { constants as fsc, createReadStream, promises as fsp, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ByteStream, Registry } from '@qubes-backup/core';
import { formatV1 } from '@qubes-backup/format-v1';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { directorySink, openBackup, runArchives } from '@qubes-backup/restore';
import { compareWithManifest, expectedFiles, registryWith, sharedCases } from '@qubes-backup/testkit';

const registry = registryWith(formatV1);
const cases = sharedCases().filter((c) => c.v1);

/** Unpacks a .tar.xz into `dir` like `tar -xS`: only data extents are written, so holes stay holes. */
async function untarXz(reg: Registry, file: string, dir: string): Promise<void> {
  const xz = reg.get('compressor', 'xz');
  const tar = reg.get('container', 'tar');
  for await (const m of tar.entries(xz.decompress(createReadStream(file) as AsyncIterable<Uint8Array> as ByteStream))) {
    const parts = m.path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new Error(`unsafe name ${m.path}`);
    const out = join(dir, ...parts);
    if (m.type === 'dir') { mkdirSync(out, { recursive: true }); continue; }
    mkdirSync(dirname(out), { recursive: true });
    if (m.type === 'symlink') { await fsp.symlink(m.linkTarget!, out); continue; }
    if (m.type !== 'file') continue;
    const fh = await fsp.open(out, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    try {
      for await (const e of m.extents()) await fh.write(e.bytes, 0, e.bytes.length, e.offset);
      await fh.truncate(m.size);
    } finally {
      await fh.close();
    }
  }
}

describe('shared format-1 fixture restores byte-identical', () => {
  if (cases.length === 0) test.skip('no ../shared/fixtures here', () => undefined);
  for (const c of cases) {
    (registry.has('compressor', 'xz') ? test : test.skip)(c.name, async () => {
      const work = mkdtempSync(join(tmpdir(), 'qbt-v1-shared-'));
      try {
        const src = join(work, 'backup');
        mkdirSync(src);
        await untarXz(registry, c.backup, src);
        const dest = join(work, 'out');
        mkdirSync(dest);
        const opened = await openBackup(src, { passphrase: c.manifest.passphrase, registry });
        expect((opened.info as QubesBackupModel).version).toBe(1);
        expect(opened.info.authenticated).toBe(false);
        await runArchives(opened, directorySink(dest), {});
        const files = expectedFiles(c.manifest);
        expect(files.length).toBeGreaterThan(0);
        expect(await compareWithManifest(dest, files)).toEqual([]);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
