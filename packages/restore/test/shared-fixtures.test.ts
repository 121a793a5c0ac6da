// Every backup in ../shared/fixtures (independent generator + the Qubes developers' own generator)
// must restore byte-identical to its manifest, holes kept. Skipped where that folder is absent.
import { describe, expect, test } from '@jest/globals';
import { createWriteStream, mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { defaultRegistry } from '@qubes-backup/all/node';
import { extract } from '@qubes-backup/restore';
import { compareWithManifest, expectedFiles, sharedCases } from '@qubes-backup/testkit';

const registry = defaultRegistry();
const cases = sharedCases().filter((c) => registry.has('format', `v${c.manifest.format_version ?? 1}`) && !c.v1);

async function unxz(path: string, out: string): Promise<void> {
  const xz = registry.get('compressor', 'xz');
  await pipeline(Readable.from(xz.decompress(createReadStream(path) as AsyncIterable<Uint8Array>)), createWriteStream(out));
}

describe('shared fixtures restore byte-identical', () => {
  if (cases.length === 0) test.skip('no ../shared/fixtures here', () => undefined);
  for (const c of cases) {
    test(c.name, async () => {
      const work = mkdtempSync(join(tmpdir(), 'qbt-shared-'));
      try {
        let backup = c.backup;
        if (c.xz) { backup = join(work, 'backup.bin'); await unxz(c.backup, backup); }
        const dest = join(work, 'out');
        if (c.manifest.expect_refusal) {
          const err = await extract(backup, { passphrase: c.manifest.passphrase, dest, registry }).then(() => undefined, (e: unknown) => e);
          expect(String((err as Error)?.message)).toContain(c.manifest.expect_refusal);
          expect(err).toMatchObject({ code: 'E_UNSUPPORTED' });
          await extract(backup, { passphrase: c.manifest.passphrase, dest, registry, settings: { 'compression-filter': 'none' } });
        } else {
          await extract(backup, { passphrase: c.manifest.passphrase, dest, registry });
        }
        const files = expectedFiles(c.manifest);
        expect(files.length).toBeGreaterThan(0);
        expect(await compareWithManifest(dest, files)).toEqual([]);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 600_000); // logN-20 scrypt costs ~5 s per derivation, more when the machine is shared
  }
});
