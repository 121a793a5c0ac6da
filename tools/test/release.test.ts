// `nx release` (issue 13) for real, on a copy: the manifests, package-lock.json, nx.json and
// tools/release/ go into a temporary git repository whose node_modules holds only a link to our nx;
// there `nx release version 0.1.0` and `nx release changelog 0.1.0` run without --dry-run. The
// repository this runs in is left alone (checked: git status and node_modules/.package-lock.json,
// which `npm install --package-lock-only` rewrites when node_modules is shared).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = '0.1.0';
const FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

interface Manifest { name: string; version: string; private?: boolean; [field: string]: unknown }
const deps = (m: Manifest, field: (typeof FIELDS)[number]) => (m[field] ?? {}) as Record<string, string>;

/** Every workspace manifest, relative path → text: the root package.json and packages/<name>/package.json. */
function manifestTexts(root: string): Map<string, string> {
  const paths = ['package.json', ...readdirSync(join(root, 'packages')).map((d) => join('packages', d, 'package.json'))];
  return new Map(paths.filter((p) => existsSync(join(root, p))).map((p) => [p, readFileSync(join(root, p), 'utf8')]));
}

const before = manifestTexts(ROOT);
const parsedBefore = new Map([...before].map(([p, t]) => [p, JSON.parse(t) as Manifest]));
const workspacePackages = [...parsedBefore].filter(([p]) => p !== 'package.json').map(([, m]) => m);
const publicNames = workspacePackages.filter((m) => !m.private).map((m) => m.name);
const privateNames = workspacePackages.filter((m) => m.private).map((m) => m.name);
/** What each workspace package's version should be after the release: public ones 0.1.0, private ones as they were. */
const expected = new Map(workspacePackages.map((m) => [m.name, m.private ? m.version : VERSION]));

let work: string;
const rootStatus = () => execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' });
const hiddenLockfile = join(ROOT, 'node_modules', '.package-lock.json');
let statusBefore: string;
let hiddenLockfileBefore: number;

const env = (() => {
  const e: Record<string, string | undefined> = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', npm_config_update_notifier: 'false' };
  delete e.NODE_OPTIONS; // jest's --experimental-vm-modules is not for nx
  return e;
})();
const git = (args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: work, stdio: 'pipe' });
/**
 * nx in the copy; git commits, tags and staging off (nx.json's release.git says so for the top-level `nx release` only).
 * Its output goes to a file, not a pipe: node writes to a pipe asynchronously, and a process that exits
 * while tens of KiB are still queued loses their end. A fresh-clone CI run on a busy machine lost the
 * last line this way ("Updated package-lock.json") although the lock file was written.
 */
function nxRelease(args: string[]): string {
  const log = join(work, '..', `${work.split('/').pop()}-nx.log`);
  const fd = openSync(log, 'w');
  try {
    execFileSync(
      process.execPath,
      [join(work, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'release', ...args, '--git-commit=false', '--git-tag=false', '--stage-changes=false'],
      { cwd: work, env, stdio: ['ignore', fd, 'pipe'] },
    );
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(log, 'utf8');
  rmSync(log);
  return out;
}

beforeAll(() => {
  statusBefore = rootStatus();
  hiddenLockfileBefore = statSync(hiddenLockfile).mtimeMs;
  work = mkdtempSync(join(tmpdir(), 'qbt-release-'));
  for (const path of [...before.keys(), 'package-lock.json', 'nx.json', '.gitignore', 'tools/release']) {
    cpSync(join(ROOT, path), join(work, path), { recursive: true });
  }
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules', 'nx'), join(work, 'node_modules', 'nx'));
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'the workspace before the release']);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nx release on a copy of the workspace', () => {
  test('the copy starts at 0.0.0 everywhere, with no 0.1.0 in any manifest', () => {
    expect(publicNames.length).toBeGreaterThan(20);
    expect(privateNames).toContain('@qubes-backup/testkit'); // private: nx must leave its version alone
    for (const [path, text] of before) expect([path, text.includes(`"${VERSION}"`)]).toEqual([path, false]);
  });

  test(`nx release version ${VERSION}: every public package is ${VERSION}, every range on a workspace package points at its new version`, () => {
    const out = nxRelease(['version', VERSION]);
    expect(out).toContain('Updated package-lock.json');
    const after = manifestTexts(work);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, text] of after) {
      const m = JSON.parse(text) as Manifest;
      const old = parsedBefore.get(path)!;
      if (path !== 'package.json') expect([m.name, m.version]).toEqual([m.name, expected.get(m.name)]);
      for (const field of FIELDS) {
        for (const [name, range] of Object.entries(deps(m, field))) {
          // a workspace package gets its new version; anything else keeps its range
          expect([path, field, name, range]).toEqual([path, field, name, expected.get(name) ?? deps(old, field)[name]]);
        }
        expect([path, field, Object.keys(deps(m, field))]).toEqual([path, field, Object.keys(deps(old, field))]);
      }
      // only those values changed: same fields in the same order, same formatting
      const back = structuredClone(m);
      back.version = old.version;
      for (const field of FIELDS) for (const name of Object.keys(deps(back, field))) deps(back, field)[name] = deps(old, field)[name]!;
      expect([path, `${JSON.stringify(back, null, 2)}\n`]).toEqual([path, before.get(path)]);
    }
  }, 60_000);

  test('package-lock.json agrees with the new manifests (so npm ci keeps working)', () => {
    const lock = JSON.parse(readFileSync(join(work, 'package-lock.json'), 'utf8')) as { packages: Record<string, Manifest> };
    for (const [path, text] of manifestTexts(work)) {
      const m = JSON.parse(text) as Manifest;
      const key = path === 'package.json' ? '' : path.replace(/\/package\.json$/, '');
      const entry = lock.packages[key]!;
      expect([key, entry.version]).toEqual([key, m.version]);
      for (const field of FIELDS) expect([key, field, deps(entry, field)]).toEqual([key, field, deps(m, field)]);
    }
    // npm's own check: `npm ci` refuses a lock file that is out of step with a package.json
    rmSync(join(work, 'node_modules'), { recursive: true });
    execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: work, env, stdio: 'pipe' });
    mkdirSync(join(work, 'node_modules'));
    symlinkSync(join(ROOT, 'node_modules', 'nx'), join(work, 'node_modules', 'nx'));
  }, 60_000);

  test(`nx release changelog ${VERSION}: CHANGELOG.md from the version plan, which is then deleted`, () => {
    mkdirSync(join(work, '.nx', 'version-plans'), { recursive: true });
    const plan = join(work, '.nx', 'version-plans', 'first-release.md');
    writeFileSync(plan, '---\n__default__: minor\n---\n\nFirst release: open Qubes backups without Qubes.\n');
    git(['add', '-A']);
    git(['commit', '-qm', 'version 0.1.0 and its plan']);
    nxRelease(['changelog', VERSION]);
    const changelog = readFileSync(join(work, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(new RegExp(`^## ${VERSION.replaceAll('.', '\\.')} \\(\\d{4}-\\d\\d-\\d\\d\\)\n`));
    expect(changelog).toContain('- First release: open Qubes backups without Qubes.');
    expect(existsSync(plan)).toBe(false);
  }, 60_000);

  test('the repository this runs in is untouched', () => {
    expect(rootStatus()).toBe(statusBefore);
    expect(statSync(hiddenLockfile).mtimeMs).toBe(hiddenLockfileBefore);
  });
});
