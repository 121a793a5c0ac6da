// Shared by this package's tests: the Wyng archives in ../shared/fixtures/wyng (made by the real
// Wyng 0.8 rc4), their manifests, and a registry whose scrypt remembers its keys, so that the
// encrypted archive costs two derivations per test file however often it is opened.
import { test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { Kdf, Registry } from '@qubes-backup/core';
import { SHARED_FIXTURES, hex } from '@qubes-backup/testkit';

export const WYNG = join(SHARED_FIXTURES, 'wyng');

export interface WyngFixture {
  readonly name: string;
  readonly archive: string;
  readonly manifest: {
    passphrase: string | null;
    volumes: Record<string, { sessions: Record<string, { size: number; sha256: string; files?: { path: string; size: number; sha256: string }[]; members?: string[] }> }>;
  };
}

export const fixtures: WyngFixture[] = existsSync(WYNG)
  ? readdirSync(WYNG, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(WYNG, d.name, 'manifest.json'))).map((d) => ({
    name: d.name, archive: join(WYNG, d.name, 'archive'),
    manifest: JSON.parse(readFileSync(join(WYNG, d.name, 'manifest.json'), 'utf8')) as WyngFixture['manifest'],
  }))
  : [];

/** One test per fixture, or one skipped test saying the folder is missing (counted, not lost). */
export function testEachWyng(title: string, fn: (f: WyngFixture) => Promise<void>, timeout = 120_000, only?: (f: WyngFixture) => boolean): void {
  const list = fixtures.filter((f) => only?.(f) ?? true);
  if (list.length === 0) {
    test.skip(`${title}: no Wyng archive in ../shared/fixtures/wyng here`, () => undefined);
    return;
  }
  for (const f of list) test(`${f.name}: ${title}`, () => fn(f), timeout);
}

const keys = new Map<string, Promise<Uint8Array>>();

/** Every shipped plugin, scrypt's derivations remembered by passphrase and salt (N = 2^19 takes seconds each). */
export function registry(): Registry {
  const r = defaultRegistry();
  const inner = r.get('kdf', 'scrypt');
  const cached: Kdf = {
    info: inner.info,
    derive(secret, params, opts) {
      const id = `${hex(secret)}/${hex(params.salt)}/${params.cost}/${params.blockSize}/${params.length}`;
      let k = keys.get(id);
      if (!k) { k = inner.derive(secret, params, opts); keys.set(id, k); }
      return k.then((x) => x.slice());
    },
  };
  const fresh = defaultRegistry();
  fresh.remove('kdf', 'scrypt');
  return fresh.use({ kind: 'kdf', name: 'scrypt', backend: inner.info.backend, create: () => cached });
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
