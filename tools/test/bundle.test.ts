// The one-file CLI (`npm run bundle` → dist/qubes-backup.mjs), copied alone into an empty folder with no
// node_modules above it, as a person with only `node` would use it: restores a v4 backup (and the
// shared v3 ones where ../shared is here) byte-identical, opens a Borg repository and pulls a file out
// of a VM image (the ext2fs WebAssembly inside the bundle).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithManifest, expectedFiles, loadManifest, ourExpectedFiles, sharedCases } from '@qubes-backup/testkit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let work: string;
let bundle: string;

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'tools', 'bundle.mjs')], { cwd: ROOT, stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'qbt-bundle-'));
  bundle = join(work, 'qubes-backup.mjs');
  copyFileSync(join(ROOT, 'dist', 'qubes-backup.mjs'), bundle);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], passphrase: string) {
  const r = spawnSync(process.execPath, [bundle, ...args, ...(args[0] === 'guide' ? [] : ['--no-progress'])], {
    cwd: work, encoding: 'utf8', env: { ...process.env, QUBES_BACKUP_PASSPHRASE: passphrase, NODE_PATH: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dist/qubes-backup.mjs alone', () => {
  test('one file of at most 3 MB, and no node_modules in any folder above the copy', () => {
    expect(statSync(bundle).size).toBeLessThanOrEqual(3 * 1024 * 1024);
    for (let d = work; d !== dirname(d); d = dirname(d)) expect([d, existsSync(join(d, 'node_modules'))]).toEqual([d, false]);
  });

  test('extract restores the v4 sample byte-identical', async () => {
    const dest = join(work, 'v4');
    const r = run(['extract', join(ROOT, 'test-fixtures', 'v4-sample', 'backup.bin'), '--dest', dest], 'qubes');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(await compareWithManifest(dest, ourExpectedFiles('v4-sample'))).toEqual([]);
  });

  test('extract restores a format-3 backup of the independent generator (openssl enc, committed) byte-identical', async () => {
    const dir = join(ROOT, 'test-fixtures', 'independent', 'v3-encrypted-gzip');
    const m = loadManifest(join(dir, 'manifest.json'));
    const dest = join(work, 'v3-committed');
    const r = run(['extract', join(dir, m.backup_file!), '--dest', dest], m.passphrase);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(await compareWithManifest(dest, expectedFiles(m))).toEqual([]);
  });

  const v3 = sharedCases().filter((c) => c.manifest.format_version === 3 && !c.xz && !c.manifest.expect_refusal).slice(0, 3);
  if (v3.length === 0) test.skip('no ../shared/fixtures here: v3 backups', () => undefined);
  else {
    test.each(v3.map((c) => [c.name, c] as const))('extract restores the shared %s byte-identical', async (_name, c) => {
      const dest = join(work, `v3-${c.name}`);
      const r = run(['extract', c.backup, '--dest', dest], c.manifest.passphrase);
      expect([r.code, r.err]).toEqual([0, '']);
      expect(await compareWithManifest(dest, expectedFiles(c.manifest))).toEqual([]);
    });
  }

  test('guide prints the emergency guide (no docs folder needed)', () => {
    const r = run(['guide'], '');
    expect([r.code, r.out]).toEqual([0, readFileSync(join(ROOT, 'docs', 'emergency.md'), 'utf8')]);
  });

  test('info on a Borg repository, and get of one file out of a VM image', () => {
    const borg = run(['info', join(ROOT, 'test-fixtures', 'borg', 'repokey-lz4', 'repo'), '--json'], 'borg-fixture');
    expect(borg.code).toBe(0);
    expect((JSON.parse(borg.out) as { backup: { format: string } }).backup.format).toBe('borg');
    const dest = join(work, 'got');
    const got = run(['get', join(ROOT, 'test-fixtures', 'v4-files', 'backup.bin'), '--vm', 'work', '/home/user/.bashrc', '--dest', dest], 'qubes');
    expect([got.code, got.err.includes('internal error')]).toEqual([0, false]);
    expect(readFileSync(join(dest, 'home', 'user', '.bashrc'), 'utf8').length).toBeGreaterThan(0);
  });
});
