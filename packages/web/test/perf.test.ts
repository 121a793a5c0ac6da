// Figures for docs/performance.md, not assertions on time: the page against the CLI on the same
// machine, for one logN-20 scrypt derivation and for decrypting + decompressing a VM image of one
// 100 MiB chunk and a part of another. Opt-in (QUBES_WEB_PERF=1): it needs ../shared's logN-20
// fixture and its backup generator, and takes about two minutes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { scrypt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { findChromium, launch } from './chromium.js';
import { answerSavePicker, openBackup, readJson } from './page-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTML = join(ROOT, 'dist/qubes-backup.html');
const CLI = join(ROOT, 'packages/cli/bin/qubes-backup.js');
const SHARED = join(ROOT, '../shared/fixtures');
const LOGN20 = join(SHARED, 'qubes/v4-scrypt-logN20');
const GENERATOR = join(SHARED, 'make-qubes-backup');
/** The generated backup is kept between runs (gitignored tmp/). */
const BIG = join(ROOT, 'tmp/web-perf');

const browserAt = findChromium();
const why = process.env.QUBES_WEB_PERF !== '1' ? 'set QUBES_WEB_PERF=1 to measure'
  : !browserAt.path ? browserAt.reason
    : !existsSync(LOGN20) || !existsSync(GENERATOR) ? `${SHARED} (the logN-20 fixture and make-qubes-backup) is missing` : undefined;
if (why) console.warn(`page performance figures skipped: ${why}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mibs = (bytes: number, ms: number) => (bytes / 1024 ** 2 / (ms / 1000)).toFixed(1);

(why ? describe.skip : describe)('page performance against the CLI', () => {
  let browser: Browser;
  const lines: string[] = [];
  beforeAll(async () => { browser = await launch(browserAt.path!); });
  afterAll(async () => {
    await browser?.close();
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    writeFileSync(join(ROOT, 'out/web-perf.md'), `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  });

  async function page(mode: 'keep' | 'count'): Promise<Page> {
    const p = await (await browser.newContext()).newPage();
    await answerSavePicker(p, mode);
    await p.goto(pathToFileURL(HTML).href);
    return p;
  }

  test('one logN-20 scrypt derivation: page worker (WebAssembly) vs node:crypto (the CLI)', async () => {
    const m = readJson<{ passphrase: string; backup_file: string }>(join(LOGN20, 'manifest.json'));
    const p = await page('keep');
    const t0 = Date.now();
    await openBackup(p, join(LOGN20, m.backup_file), m.passphrase);
    await p.getByRole('table').waitFor({ timeout: 120_000 });
    const openMs = Date.now() - t0;
    const derivations = await p.evaluate(() => (globalThis as unknown as { qubesBackupPage: { derivations: { N: number; ms: number }[] } }).qubesBackupPage.derivations);
    const alone: number[] = [];
    for (let i = 0; i < 3; i++) {
      alone.push(await p.evaluate(async () => {
        const s = performance.now();
        await (globalThis as unknown as { qubesBackupPage: { scrypt(logN: number): Promise<Uint8Array> } }).qubesBackupPage.scrypt(20);
        return performance.now() - s;
      }));
    }
    await p.context().close();
    expect(derivations.length).toBeGreaterThan(0);
    const cli: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = Date.now();
      await new Promise<void>((resolve, reject) => scrypt('qubes', 'salt', 64, { N: 2 ** 20, r: 8, p: 1, maxmem: 2 * 1024 ** 3 }, (e) => (e ? reject(e) : resolve())));
      cli.push(Date.now() - s);
    }
    lines.push(`| logN 20 derivation alone, page (worker, WebAssembly) | ${seconds(median(alone))} s (median of ${alone.map((c) => seconds(c)).join(', ')}) |`);
    lines.push(`| logN 20 derivations while opening, page | ${derivations.map((d) => seconds(d.ms)).join(', ')} s (${derivations.length} in parallel) |`);
    lines.push(`| logN 20 derivation, CLI (node:crypto) | ${seconds(median(cli))} s (median of ${cli.map((c) => seconds(c)).join(', ')}) |`);
    lines.push(`| open the logN-20 backup in the page (click to table) | ${seconds(openMs)} s |`);
  }, 300_000);

  test('decrypt + decompress a VM image of 100 MiB + 46 MiB gzip chunks: page vs CLI', async () => {
    if (!existsSync(join(BIG, 'manifest.json'))) {
      rmSync(BIG, { recursive: true, force: true });
      execFileSync(GENERATOR, ['--version', '4', '--vms', 'work', '--no-dom0', '--image-size', String(512 << 20), '--random-kib', '150000', '--scrypt-logn', '14', '--out', BIG], { stdio: 'ignore' });
    }
    const m = readJson<{ backup_file: string; passphrase: string; outer_members: { name: string; size: number }[] }>(join(BIG, 'manifest.json'));
    const chunkBytes = m.outer_members.filter((o) => o.name.startsWith('vm5/private.img.')).reduce((n, o) => n + o.size, 0);
    // Three runs each, alternating: on a shared VM one run can be 30 % off.
    const pageRuns: number[] = [];
    const cliRuns: number[] = [];
    for (let run = 0; run < 3; run++) {
      const p = await page('count');
      await openBackup(p, join(BIG, m.backup_file), m.passphrase);
      const t0 = Date.now();
      await p.getByRole('row').filter({ hasText: 'work' }).getByRole('button', { name: 'Save private.img' }).click();
      await p.waitForFunction(() => document.body.getAttribute('aria-busy') === null, undefined, { timeout: 300_000 });
      pageRuns.push(Date.now() - t0);
      const written = await p.evaluate(() => (window as unknown as { savedBytes: Map<string, number> }).savedBytes.get('work-private.img') ?? 0);
      await p.context().close();
      expect(written).toBeGreaterThan(100 << 20);
      const dest = mkdtempSync(join(tmpdir(), 'web-perf-cli-'));
      const s = Date.now();
      execFileSync(process.execPath, [CLI, 'extract', '--vm', 'work', '--dest', dest, join(BIG, m.backup_file)], { env: { ...process.env, QUBES_BACKUP_PASSPHRASE: m.passphrase }, stdio: 'ignore' });
      cliRuns.push(Date.now() - s);
      const img = join(dest, 'work', 'private.img');
      const restored = existsSync(img) ? statSync(img).size : readdirSync(dest).length;
      rmSync(dest, { recursive: true, force: true });
      expect(restored).toBeGreaterThan(0);
    }
    const runs = (xs: number[]) => `median of ${xs.map((x) => seconds(x)).join(', ')}`;
    const pageMs = median(pageRuns);
    const cliMs = median(cliRuns);
    lines.push(`| private.img (${(chunkBytes / 1024 ** 2).toFixed(0)} MiB of chunks), page | ${seconds(pageMs)} s (${runs(pageRuns)}), ${mibs(chunkBytes, pageMs)} MiB/s of backup |`);
    lines.push(`| the same, CLI \`extract --vm work\` | ${seconds(cliMs)} s (${runs(cliRuns)}), ${mibs(chunkBytes, cliMs)} MiB/s of backup |`);
    lines.push(`| page / CLI throughput | ${(cliMs / pageMs).toFixed(2)}× |`);
  }, 600_000);
});
