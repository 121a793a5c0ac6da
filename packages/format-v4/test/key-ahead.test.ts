// KeyAhead derives upcoming chunks' scrypt keys while earlier chunks are decoded. What it must
// never do: ask for more keys at once than its cores (`parallel`), run far ahead of the reader,
// derive keys of files nobody selected, or change the output. When the derivations run is the
// scrypt scheduler's decision: the last part restores through one with a small budget.
import { describe, expect, test } from '@jest/globals';
import type { Cipher, Registry } from '@qubes-backup/core';
import { formatV4 } from '@qubes-backup/format-v4';
import { DerivationScheduler, scryptDescriptors, type DerivationBudget } from '@qubes-backup/cipher-scrypt';
import { scryptPrimitivesNode } from '@qubes-backup/cipher-scrypt/node';
import { directorySink, runArchives } from '@qubes-backup/restore';
import {
  compareWithManifest, enc, memorySource, openWithFormat, ourExpectedFiles, prng, registryWith, registryWithCipher, writeOuter,
} from '@qubes-backup/testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyAhead, type KeyAheadOptions } from '../src/key-ahead.js';
import { fixturePath } from './_v4.js';

type Prepared = Awaited<ReturnType<NonNullable<Cipher['prepare']>>>;
const MiB = 2 ** 20;
const HEAD = 96;
const tick = () => new Promise<void>((r) => setTimeout(r, 1));

/** Counts derivations: how many run at once (and the most ever), which stems, which were disposed. */
class Derivations {
  inFlight = 0;
  max = 0;
  readonly started: string[] = [];
  readonly disposed: string[] = [];
  /** Each derivation takes `delay()` timer turns (seeded, so completion order differs from start order). */
  constructor(private readonly delay: () => number = () => 2) {}

  async run<T>(stem: string, derive: () => Promise<T>): Promise<T> {
    this.started.push(stem);
    this.inFlight++;
    this.max = Math.max(this.max, this.inFlight);
    try {
      for (let i = this.delay(); i > 0; i--) await tick();
      return await derive();
    } finally {
      this.inFlight--;
    }
  }

  /** A cipher whose prepare is counted here. */
  fakeCipher(): Cipher {
    return {
      info: { kind: 'cipher', name: 'scrypt', backend: 'portable' },
      decrypt: () => { throw new Error('not used: KeyAhead only prepares'); },
      prepareBytes: HEAD,
      prepare: (_head, pass) => this.run(new TextDecoder().decode(pass), async (): Promise<Prepared> => ({
        decrypt: () => { throw new Error('not used'); },
        dispose: () => { this.disposed.push(new TextDecoder().decode(pass)); },
      })),
    };
  }
}

const tar = registryWith().get('container', 'tar');

/** An outer tar of chunks `name` with 200-byte bodies (only their first 96 bytes are read ahead). */
const outer = (names: readonly string[]) => memorySource(writeOuter(names.map((name) => ({ name, data: new Uint8Array(200).fill(7) }))));
const chunks = (path: string, n: number) => Array.from({ length: n }, (_, i) => `${path}.${String(i).padStart(3, '0')}.enc`);

function ahead(d: Derivations, names: readonly string[], o: Partial<KeyAheadOptions> = {}): KeyAhead {
  return new KeyAhead({
    tar, cipher: d.fakeCipher(), source: outer(names), start: 0, wanted: () => true,
    keyFor: (stem) => enc(stem), parallel: 2, ...o,
  });
}

/** Takes every member's key in order, as the main pass does; returns those it got. */
async function consume(k: KeyAhead, names: readonly string[]): Promise<string[]> {
  const got: string[] = [];
  for (const n of names) {
    await tick(); // the main pass decodes between two chunks: the scan gets to run
    const p = k.take(n);
    if (p) { await p.key; got.push(n); }
  }
  return got;
}

/** Lets the scan run until it stops starting derivations and all of them ended. */
async function settle(d: Derivations): Promise<void> {
  for (let quiet = 0; quiet < 20;) { const before = d.started.length; await tick(); quiet = d.inFlight === 0 && d.started.length === before ? quiet + 1 : 0; }
}

describe('KeyAhead: bounded by its cores', () => {
  const names = chunks('vm5/private.img', 10);

  test.each([1, 2, 3])('parallel %i: never more derivations at once, and that many are reached', async (parallel) => {
    const d = new Derivations();
    const k = ahead(d, names, { parallel });
    k.start();
    await consume(k, names);
    k.dispose();
    await settle(d);
    expect(d.max).toBe(parallel);
  });

  test('with nobody taking keys, the scan stops parallel + 1 keys ahead, and dispose wipes them all', async () => {
    const d = new Derivations();
    const k = ahead(d, names, { parallel: 2 });
    k.start();
    await settle(d);
    expect(d.started).toEqual(names.slice(0, 3).map((n) => n.slice(0, -4)));
    k.dispose();
    await settle(d);
    expect([...d.disposed].sort()).toEqual([...d.started].sort());
  });

  test('a key taken is not wiped by dispose (the main pass owns it); the others are', async () => {
    const d = new Derivations();
    const k = ahead(d, names, { parallel: 2 });
    k.start();
    await settle(d);
    await k.take(names[0]!)?.key;
    k.dispose();
    await settle(d);
    expect([...d.disposed].sort()).toEqual(d.started.slice(1).sort());
  });
});

describe('KeyAhead: what is derived', () => {
  test('only chunks of wanted files; unwanted ones are never derived', async () => {
    const names = [...chunks('vm5/private.img', 3), ...chunks('vm6/private.img', 3), ...chunks('vm7/private.img', 2)];
    const d = new Derivations();
    const k = ahead(d, names, { parallel: 3, wanted: (path) => path === 'vm6/private.img' });
    k.start();
    const got = await consume(k, names);
    k.dispose();
    await settle(d);
    expect(d.started).toEqual(['vm6/private.img.000', 'vm6/private.img.001', 'vm6/private.img.002']);
    expect(got).toEqual(chunks('vm6/private.img', 3));
  });

  test('a member the main pass already claimed is not derived (it derives that one itself)', async () => {
    const names = chunks('vm5/private.img', 4);
    const d = new Derivations();
    const k = ahead(d, names, { parallel: 4 });
    expect(k.take(names[1]!)).toBeUndefined();
    k.start();
    await settle(d);
    k.dispose();
    expect(d.started).toEqual(['vm5/private.img.000', 'vm5/private.img.002', 'vm5/private.img.003']);
  });

  test('members that are not chunks, or too short to hold a scrypt header, are passed over', async () => {
    const source = memorySource(writeOuter([
      { name: 'vm5/notes', data: new Uint8Array(200) },
      { name: 'vm5/a.000.enc', data: new Uint8Array(HEAD - 1) },
      { name: 'vm5/b.000.enc', data: new Uint8Array(HEAD) },
    ]));
    const d = new Derivations();
    const k = new KeyAhead({ tar, cipher: d.fakeCipher(), source, start: 0, wanted: () => true, keyFor: (s) => enc(s), parallel: 2 });
    k.start();
    await settle(d);
    k.dispose();
    expect(d.started).toEqual(['vm5/b.000']);
  });

  test('maxKeys stops the scan after that many derivations', async () => {
    const names = chunks('vm5/private.img', 6);
    const d = new Derivations();
    const k = ahead(d, names, { parallel: 4, maxKeys: 2 });
    k.start();
    await settle(d);
    k.dispose();
    expect(d.started).toEqual(['vm5/private.img.000', 'vm5/private.img.001']);
  });

  test('a cipher without prepare, or needing no head bytes, gets no look-ahead', async () => {
    const names = chunks('vm5/private.img', 3);
    for (const strip of [(c: Cipher): Cipher => ({ info: c.info, decrypt: c.decrypt, prepareBytes: HEAD }), (c: Cipher): Cipher => ({ ...c, prepareBytes: 0 })]) {
      const d = new Derivations();
      const k = new KeyAhead({ tar, cipher: strip(d.fakeCipher()), source: outer(names), start: 0, wanted: () => true, keyFor: enc, parallel: 2 });
      k.start();
      await settle(d);
      expect(d.started).toEqual([]);
    }
  });

  test('the scan starts at `start`: members before it are not looked at', async () => {
    const names = chunks('vm5/private.img', 4);
    const bytes = writeOuter(names.map((name) => ({ name, data: new Uint8Array(200) })));
    const each = bytes.length / names.length;
    const d = new Derivations();
    const k = new KeyAhead({ tar, cipher: d.fakeCipher(), source: memorySource(bytes), start: 2 * each, wanted: () => true, keyFor: enc, parallel: 4 });
    k.start();
    await settle(d);
    k.dispose();
    expect(d.started).toEqual(['vm5/private.img.002', 'vm5/private.img.003']);
  });
});

describe('format 4 with the look-ahead: the real scrypt, slowed down, counted, and scheduled', () => {
  const MULTI = 'v4-gnu-sparse-multichunk';

  /**
   * The v4 parts with a scrypt cipher and header Mac over the node primitives, whose every KDF call
   * (ahead, the chunk being read, the header's) is slowed and counted by `d` and waits for a scheduler
   * with `budget`: the cores and memory a machine would offer.
   */
  function scheduled(d: Derivations, budget: DerivationBudget): { registry: Registry; scheduler: DerivationScheduler } {
    const scheduler = new DerivationScheduler(budget);
    const { cipher, mac } = scryptDescriptors({
      ...scryptPrimitivesNode, scheduler,
      scrypt: (...a) => d.run('kdf', () => scryptPrimitivesNode.scrypt(...a)),
    });
    return { registry: registryWith(formatV4).remove('cipher', 'scrypt').remove('mac', 'scrypt').use(cipher, mac), scheduler };
  }

  async function restore(registry: Registry, resources: { cores: number; memory: number }, units?: string[]): Promise<string[]> {
    const dest = mkdtempSync(join(tmpdir(), 'qbt-v4-ahead-'));
    try {
      const opened = await openWithFormat(formatV4, fixturePath(MULTI), { registry, resources });
      await runArchives(opened, directorySink(dest), units ? { units } : {});
      const files = ourExpectedFiles(MULTI).filter(([p]) => !units || units.some((u) => p.startsWith(`${u}/`)));
      expect(files.length).toBeGreaterThan(0);
      return await compareWithManifest(dest, files);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  }

  // Each derivation of the fixture (logN 14, r 8) takes 16 MiB.
  test.each([
    ['3 cores, memory for all', { cores: 3, memory: 2 ** 30 }, 3],
    ['8 cores, memory for 2 derivations', { cores: 8, memory: 40 * MiB }, 2],
    ['8 cores, memory for less than one', { cores: 8, memory: 8 * MiB }, 1],
  ])('%s: never more at once, and the restore is byte-identical (seed 5)', async (_what, budget, most) => {
    const d = new Derivations(((r) => () => 1 + Math.floor(r() * 6))(prng(5)));
    const { registry, scheduler } = scheduled(d, budget);
    expect(await restore(registry, { cores: budget.cores, memory: budget.memory })).toEqual([]);
    expect(d.max).toBeLessThanOrEqual(most);
    expect(scheduler.stats.maxInFlight).toBe(d.max);
    expect(scheduler.stats.maxMemory).toBeLessThanOrEqual(Math.max(budget.memory, 16 * MiB + 2 ** 14));
    expect(d.started.length).toBeGreaterThan(most);
  });

  test('only the selected VM\'s keys are derived ahead, and its files restore byte-identical', async () => {
    const d = new Derivations();
    const registry = registryWithCipher(formatV4, 'scrypt', (real) => ({
      ...real,
      prepare: (head, pass, opts) => d.run(new TextDecoder().decode(pass).split('!')[1]!, () => real.prepare!(head, pass, opts)),
    }));
    expect(await restore(registry, { cores: 4, memory: 2 ** 30 }, ['personal'])).toEqual([]);
    expect(d.started.filter((s) => s !== 'qubes.xml.000').every((s) => s.startsWith('vm6/'))).toBe(true);
    expect(d.started.length).toBeGreaterThan(1);
  });
});
