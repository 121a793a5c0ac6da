// The shared-fixture suite of formats 2 and 3: every backup of that version in ../shared/fixtures
// (our generator and the Qubes developers' own test generator) restores byte-identical to its
// manifest through the restore library, holes kept; and a tampered one fails naming the chunk.
import { describe, expect, test } from '@jest/globals';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PluginDescriptor } from '@qubes-backup/core';
import { directorySink, openBackup, runArchives } from '@qubes-backup/restore';
import { caught } from './errors.js';
import { readOuter, writeOuter } from './outer.js';
import { compareWithManifest, expectedFiles, sharedCases } from './manifest.js';
import { registryWith, verifyBytes } from './format-wiring.js';

export interface SharedFixtureCases {
  version: 2 | 3;
  /** The shared backup to tamper with, and a data chunk of it (with its .hmac) to flip a byte in. */
  tamper: { backup: string; chunk: string };
}

export function describeSharedFixtures(format: PluginDescriptor<'format'>, { version, tamper }: SharedFixtureCases): void {
  const registry = registryWith(format);
  const cases = sharedCases().filter((c) => c.manifest.format_version === version);

  function missingCodec(c: (typeof cases)[number]): string | undefined {
    const filter = (c.manifest as { compression_filter?: string | null; compressed?: boolean }).compressed
      ? (c.manifest as { compression_filter?: string }).compression_filter : undefined;
    for (const name of [filter, c.xz ? 'xz' : undefined]) {
      if (name && !registry.has('compressor', name)) return name;
    }
    return undefined;
  }

  describe(`shared format-${version} fixtures restore byte-identical`, () => {
    if (cases.length === 0) test.skip('no ../shared/fixtures here', () => undefined);
    for (const c of cases) {
      const missing = missingCodec(c);
      (missing ? test.skip : test)(`${c.name}${missing ? ` (no ${missing} decoder yet)` : ''}`, async () => {
        const work = mkdtempSync(join(tmpdir(), `qbt-v${version}-shared-`));
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
          expect((opened.info as { version?: number }).version).toBe(version);
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

  describe(`tampering with a shared format-${version} fixture`, () => {
    const c = cases.find((x) => x.name === tamper.backup);
    const run = c && existsSync(c.backup) ? test : test.skip;
    const verify = (bytes: Uint8Array, passphrase = 'qubes') => verifyBytes(bytes, { registry, passphrase });

    run(`one flipped byte in ${tamper.chunk} or in its .hmac: AuthenticationError naming the chunk`, async () => {
      const original = await readOuter(registry, new Uint8Array(readFileSync(c!.backup)));
      for (const target of [tamper.chunk, `${tamper.chunk}.hmac`]) {
        const ms = original.map((m) => ({ ...m }));
        const m = ms.find((x) => x.name === target)!;
        m.data = m.data.slice();
        m.data[target.endsWith('.hmac') ? m.data.indexOf(0x3d) + 7 : m.data.length >> 1]! ^= 0x04;
        const e = await caught(verify(writeOuter(ms)));
        expect(e?.name).toBe('AuthenticationError');
        expect(e?.member).toBe(tamper.chunk);
      }
    });

    run('wrong passphrase', async () => {
      const e = await caught(verify(new Uint8Array(readFileSync(c!.backup)), 'qubes '));
      expect(e?.name).toBe('WrongPassphraseError');
      expect(e?.message).toContain('wrong passphrase (header HMAC does not verify)');
    });
  });
}
