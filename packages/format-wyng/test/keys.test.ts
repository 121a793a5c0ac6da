// When an encrypted archive's two scrypt keys are derived: the data key alongside the metadata key
// when the context offers a second core and memory for two derivations (a restore needs both), else
// only when the first chunk is read; a data key derived alongside a wrong passphrase is wiped.
import { afterAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FormatContext, Kdf, Registry } from '@qubes-backup/core';
import { formatWyng } from '@qubes-backup/format-wyng';
import { directorySink, directorySource, runArchives } from '@qubes-backup/restore';
import { demoImages, writeArchive } from './make-archive.mjs';
import { registry as cachedRegistry } from './_wyng.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const passphrase = 'correct horse battery';
const archive = join(work, 'archive');
const sessions = demoImages();
writeArchive(archive, {
  chunkSize: 1 << 16, compression: 'zlib', hashtype: 'hmac-sha256', encryption: { passphrase, ci: '35' },
  volumes: [{ vid: 'Vol_e00001', name: 'vm-demo-private', sessions }],
});
const GiB = 2 ** 30;

/** The cached scrypt (the real one, each key derived once per process), counted: calls, most at once, the keys given. */
function counted(): { registry: Registry; calls: () => number; most: () => number; keys: Uint8Array[] } {
  const base = cachedRegistry();
  const inner = base.get('kdf', 'scrypt');
  let calls = 0;
  let running = 0;
  let most = 0;
  const keys: Uint8Array[] = [];
  const kdf: Kdf = {
    info: inner.info,
    async derive(secret, params, opts) {
      calls++;
      most = Math.max(most, ++running);
      try {
        // A cached key comes back at once: a pause makes derivations that overlap visible.
        await new Promise((r) => setTimeout(r, 20));
        const k = await inner.derive(secret, params, opts);
        keys.push(k);
        return k;
      } finally {
        running--;
      }
    },
  };
  const registry = base.clone().remove('kdf', 'scrypt').use({ kind: 'kdf', name: 'scrypt', backend: inner.info.backend, create: () => kdf });
  return { registry, calls: () => calls, most: () => most, keys };
}

function open(registry: Registry, resources: FormatContext['resources'], pass = passphrase) {
  const ctx: FormatContext = {
    registry, settings: {}, passphrase: async () => new TextEncoder().encode(pass),
    ...(resources ? { resources } : {}),
  };
  const input = { kind: 'directory' as const, dir: directorySource(archive) };
  return formatWyng.create().open(input, ctx).then((opened) => ({ ...opened, input }));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the data key', () => {
  test.each([
    ['2 cores, memory for two derivations', { cores: 2, memory: 2 * GiB }, 2],
    ['2 cores, memory for one derivation only', { cores: 2, memory: GiB - 1 }, 1],
    ['1 core', { cores: 1, memory: 4 * GiB }, 1],
    ['no resources offered (a browser)', undefined, 1],
  ])('%s: as many derivations at open as it allows, both keys once the volume is restored, byte-identical', async (_what, resources, atOpen) => {
    const c = counted();
    const opened = await open(c.registry, resources);
    try {
      expect(c.calls()).toBe(atOpen);
      expect(c.most()).toBe(atOpen);
      const dest = mkdtempSync(join(work, 'out-'));
      expect((await runArchives(opened, directorySink(dest), {})).ok).toBe(true);
      expect(sha(readFileSync(join(dest, 'demo', 'private.img')))).toBe(sha(sessions.at(-1)!.image));
      expect(c.calls()).toBe(2);
    } finally {
      await opened.close?.();
    }
  }, 120_000);

  test('derived alongside a wrong passphrase: E_PASSPHRASE, and both keys are wiped once derived', async () => {
    const c = counted();
    await expect(open(c.registry, { cores: 2, memory: 2 * GiB }, 'wrong passphrase')).rejects.toMatchObject({ code: 'E_PASSPHRASE' });
    expect(c.calls()).toBe(2);
    while (c.keys.length < 2) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 0));
    expect(c.keys.map((k) => k.every((b) => b === 0))).toEqual([true, true]);
  }, 120_000);
});
