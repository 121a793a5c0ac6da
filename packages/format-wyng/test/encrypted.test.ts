// Encrypted archives in the cipher modes the shared fixture (35, HMAC-SHA256, zstd) does not show:
// 30 (32-byte salts, unkeyed data hashes), 32, 34, and 35 with hashtype blake2b (whose data hashes
// Wyng still keys), written by make-archive.mjs. Every session restores to its image; a wrong
// passphrase is E_PASSPHRASE. The archives share their salts, so their keys are derived once.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, inspect } from '@qubes-backup/restore';
import type { WyngArchiveInfo } from '@qubes-backup/format-wyng';
import { demoImages, writeArchive, type ArchiveSpec } from './make-archive.mjs';
import { registry } from './_wyng.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-enc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const passphrase = 'correct horse battery';

const modes: [string, Pick<ArchiveSpec, 'compression' | 'hashtype'> & { ci: '30' | '32' | '34' | '35' }, string][] = [
  ['mode 30, blake2b, zlib', { ci: '30', hashtype: 'blake2b', compression: 'zlib' }, 'xchacha20'],
  ['mode 32, hmac-sha256, bz2', { ci: '32', hashtype: 'hmac-sha256', compression: 'bz2' }, 'xchacha20-ct'],
  ['mode 34, hmac-sha256, zstd', { ci: '34', hashtype: 'hmac-sha256', compression: 'zstd' }, 'xchacha20-msr'],
  ['mode 35, hashtype blake2b (data hashes keyed all the same)', { ci: '35', hashtype: 'blake2b', compression: 'zlib' }, 'xchacha20-dgr'],
];

describe.each(modes)('%s', (title, { ci, ...spec }, data) => {
  const dir = join(work, ci);
  const sessions = demoImages();
  writeArchive(dir, { chunkSize: 1 << 16, ...spec, encryption: { passphrase, ci }, volumes: [{ vid: 'Vol_e00001', name: 'vm-demo-private', sessions }] });

  test('info and every session', async () => {
    const info = (await inspect(dir, { registry: registry(), passphrase })).info as WyngArchiveInfo;
    expect(info.encryption).toMatchObject({ mode: ci, data });
    for (const s of sessions) {
      const dest = join(work, `${ci}-${s.id}`);
      expect((await extract(dir, { registry: registry(), passphrase, dest, settings: { session: s.id } })).ok).toBe(true);
      expect(sha(readFileSync(join(dest, 'demo', 'private.img')))).toBe(sha(s.image));
    }
  }, 120_000);

  test('a wrong passphrase is E_PASSPHRASE', async () => {
    await expect(inspect(dir, { registry: registry(), passphrase: 'wrong' })).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
  }, 120_000);
});
