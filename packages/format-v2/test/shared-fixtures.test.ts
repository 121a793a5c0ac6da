// Every format-2 backup in ../shared/fixtures (our generator and the Qubes developers' own test
// generator) restores byte-identical to its manifest through the restore library, holes kept.
import { describe, expect, test } from '@jest/globals';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatV2 } from '@qubes-backup/format-v2';
import { compareWithManifest, expectedFiles, sharedCases } from '../../restore/test/_manifest.js';
import { directorySink, openBackup, registryWith, runArchives } from '../../format-v3/test/_setup.js';

const registry = registryWith(formatV2);
const cases = sharedCases().filter((c) => c.manifest.format_version === 2);

function missingCodec(c: (typeof cases)[number]): string | undefined {
  const filter = (c.manifest as { compression_filter?: string | null; compressed?: boolean }).compressed
    ? (c.manifest as { compression_filter?: string }).compression_filter : undefined;
  for (const name of [filter, c.xz ? 'xz' : undefined]) {
    if (name && !registry.has('compressor', name)) return name;
  }
  return undefined;
}

describe('shared format-2 fixtures restore byte-identical', () => {
  if (cases.length === 0) test.skip('no ../shared/fixtures here', () => undefined);
  for (const c of cases) {
    const missing = missingCodec(c);
    (missing ? test.skip : test)(`${c.name}${missing ? ` (no ${missing} decoder yet)` : ''}`, async () => {
      const work = mkdtempSync(join(tmpdir(), 'qbt-v2-shared-'));
      try {
        let backup = c.backup;
        if (c.xz) {
          backup = join(work, 'backup.bin');
          const xz = registry.get('compressor', 'xz');
          await pipeline(Readable.from(xz.decompress(createReadStream(c.backup) as AsyncIterable<Uint8Array>)), createWriteStream(backup));
        }
        const dest = join(work, 'out');
        mkdirSync(dest);
        const opened = await openBackup(backup, { passphrase: c.manifest.passphrase, registry });
        expect(opened.model.version).toBe(2);
        await runArchives(opened, directorySink(dest), { registry });
        const files = expectedFiles(c.manifest);
        expect(files.length).toBeGreaterThan(0);
        expect(await compareWithManifest(dest, files)).toEqual([]);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
