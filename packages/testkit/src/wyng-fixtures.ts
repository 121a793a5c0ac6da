import { test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { Kdf, Registry } from '@qubes-backup/core';
import { hex } from './bytes.js';
import { SHARED_FIXTURES } from './shared-backups.js';

/** ../shared/fixtures/wyng: archives the real Wyng 0.8 rc4 wrote, each `archive/` beside its `manifest.json`. */
export const WYNG_FIXTURES = join(SHARED_FIXTURES, 'wyng');

export interface WyngFixture {
  readonly name: string;
  readonly archive: string;
  readonly manifest: {
    passphrase: string | null;
    volumes: Record<string, { sessions: Record<string, { size: number; sha256: string; files?: { path: string; size: number; sha256: string }[]; members?: string[] }> }>;
  };
}

/** The Wyng archives there (none where the folder is absent). */
export const wyngFixtures: readonly WyngFixture[] = existsSync(WYNG_FIXTURES)
  ? readdirSync(WYNG_FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(WYNG_FIXTURES, d.name, 'manifest.json')))
    .map((d) => ({
      name: d.name, archive: join(WYNG_FIXTURES, d.name, 'archive'),
      manifest: JSON.parse(readFileSync(join(WYNG_FIXTURES, d.name, 'manifest.json'), 'utf8')) as WyngFixture['manifest'],
    }))
  : [];

/** One test per Wyng archive (`only` narrows them), or one skipped test saying there is none (counted, not lost). */
export function testEachWyng(title: string, fn: (f: WyngFixture) => Promise<void>, timeout = 120_000, only?: (f: WyngFixture) => boolean): void {
  const list = wyngFixtures.filter((f) => only?.(f) ?? true);
  if (list.length === 0) {
    test.skip(`${title}: no such Wyng archive in ../shared/fixtures/wyng here`, () => undefined);
    return;
  }
  for (const f of list) test(`${f.name}: ${title}`, () => fn(f), timeout);
}

const derived = new Map<string, Promise<Uint8Array>>();

/**
 * Every shipped plugin, with scrypt's keys remembered (by secret and parameters) for the whole test
 * file: Wyng derives two at N = 2^19, seconds and 512 MiB each, every time an archive opens.
 */
export function cachedScryptRegistry(): Registry {
  const inner = defaultRegistry().get('kdf', 'scrypt');
  const cached: Kdf = {
    info: inner.info,
    derive(secret, params, opts) {
      const id = `${hex(secret)}/${hex(params.salt)}/${params.cost}/${params.blockSize}/${params.parallelism}/${params.length}`;
      let k = derived.get(id);
      if (!k) {
        k = inner.derive(secret, params, opts);
        derived.set(id, k);
        k.catch(() => derived.delete(id));
      }
      return k.then((x) => x.slice());
    },
  };
  return defaultRegistry().remove('kdf', 'scrypt').use({ kind: 'kdf', name: 'scrypt', backend: inner.info.backend, create: () => cached });
}
