// The packages as npm would publish them: every workspace package packed with `npm pack`, then
// installed from those tarballs alone into empty projects (no workspace links). A library user who
// installs the v4 + gzip parts restores a backup with exactly those and gets a clear error for a
// codec they did not install; the CLI installed from the tarballs runs. Needs the build (`npm test`
// builds first) and the npm cache `npm ci` filled (third-party packages come from it, or the registry).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithManifest, ourExpectedFiles } from '@qubes-backup/testkit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => join(ROOT, 'test-fixtures', name, 'backup.bin');

interface Packed { name: string; version: string; filename: string; integrity: string; shasum: string; files: { path: string }[] }
interface PackageJson {
  name: string; private?: boolean; dependencies?: Record<string, string>; types?: string; engines?: { node?: string };
  sideEffects?: boolean; license?: string; exports?: Record<string, { types?: string; default?: string }>; keywords?: string[];
  bin?: Record<string, string>;
}

const manifests = new Map<string, PackageJson>(readdirSync(join(ROOT, 'packages')).map((d) => {
  const j = JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8')) as PackageJson;
  return [j.name, j];
}));
const ours = (name: string) => name.startsWith('@qubes-backup/');

/** The names and every workspace package they depend on, transitively. */
function closure(names: string[]): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => {
    if (out.has(n)) return;
    out.add(n);
    for (const d of Object.keys(manifests.get(n)?.dependencies ?? {})) if (ours(d)) visit(d);
  };
  names.forEach(visit);
  return out;
}

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

let work: string;
let packed: Map<string, Packed>;

/** An empty project with these packages installed from their tarballs (and their third-party dependencies). */
function project(name: string, packages: Set<string>): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' })}\n`);
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...[...packages].map((p) => join(work, 'tgz', packed.get(p)!.filename))], dir);
  return dir;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'qbt-packed-'));
  mkdirSync(join(work, 'tgz'));
  const list = JSON.parse(npm(['pack', '--workspaces', '--pack-destination', join(work, 'tgz'), '--json'], ROOT)) as Packed[];
  packed = new Map(list.map((p) => [p.name, p]));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('every public package as a tarball', () => {
  test('package.json: ES module exports with their types, the Node it needs, no side effects, a license, keywords npm search finds', () => {
    for (const m of [...manifests.values()].filter((x) => !x.private)) {
      expect([m.name, m.exports?.['.']?.types, m.types, m.engines?.node, m.sideEffects, m.license])
        .toEqual([m.name, './dist/index.d.ts', './dist/index.d.ts', '>=20.19', false, 'MIT']);
      expect([m.name, m.keywords?.slice(0, 3), (m.keywords?.length ?? 0) > 3]).toEqual([m.name, ['qubes-os', 'backup', 'restore'], true]);
    }
  });

  test('built JS, its .d.ts, the README and the LICENSE; no tests, fixtures or build state', () => {
    const publics = [...manifests.values()].filter((m) => !m.private).map((m) => m.name);
    expect(publics.length).toBeGreaterThan(20);
    for (const name of publics) {
      const files = packed.get(name)!.files.map((f) => f.path);
      expect([name, files.filter((f) => /^(dist\/index\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(f)).sort()])
        .toEqual([name, ['LICENSE', 'README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']]);
      expect([name, files.filter((f) => /(^|\/)(test|tests|fixtures|__tests__)\//.test(f) || /\.test\.|tsbuildinfo/.test(f))]).toEqual([name, []]);
    }
  });
});

describe('a library user who installs only format 4 and gzip', () => {
  const parts = ['@qubes-backup/core', '@qubes-backup/tar', '@qubes-backup/cipher-scrypt', '@qubes-backup/codec-gzip', '@qubes-backup/format-v4', '@qubes-backup/restore'];
  let dir: string;
  beforeAll(() => {
    dir = project('v4-gzip-only', closure(parts));
    writeFileSync(join(dir, 'restore.mjs'), `
import { Registry } from '@qubes-backup/core';
import { tarContainer } from '@qubes-backup/tar';
import { scryptCipherNode, scryptMacNode } from '@qubes-backup/cipher-scrypt/node';
import { gzipNode } from '@qubes-backup/codec-gzip/node';
import { formatV4 } from '@qubes-backup/format-v4';
import { extract } from '@qubes-backup/restore';
const [backup, dest] = process.argv.slice(2);
const registry = new Registry().use(formatV4, tarContainer, scryptCipherNode, scryptMacNode, gzipNode);
try {
  const r = await extract(backup, { registry, passphrase: 'qubes', dest });
  console.log(JSON.stringify({ ok: r.ok, units: r.units.map((u) => u.name) }));
} catch (e) {
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
`);
  }, 120_000);
  const run = (backup: string, dest: string) => JSON.parse(execFileSync(process.execPath, ['restore.mjs', backup, dest], { cwd: dir, encoding: 'utf8' })) as Record<string, unknown>;

  test('restores a v4 gzip backup byte-identical with a registry of exactly those parts', async () => {
    const dest = join(work, 'out-v4');
    expect(run(fixture('v4-sample'), dest)).toEqual({ ok: true, units: ['work', 'dom0'] });
    expect(await compareWithManifest(dest, ourExpectedFiles('v4-sample'))).toEqual([]);
  });

  test('an xz backup: the clear error that no decoder for xz is installed', () => {
    expect(run(fixture('v4-pax-sparse-xz'), join(work, 'out-xz'))).toEqual({
      code: 'E_UNSUPPORTED', message: "backup-header: no decoder installed for compression filter 'xz'",
    });
  });

  test('npm ls: those parts and what they need, no other codec, format or cipher', () => {
    const tree = JSON.parse(npm(['ls', '--all', '--json'], dir)) as { dependencies?: Record<string, unknown> };
    const names = new Set<string>();
    const walk = (deps: Record<string, unknown> | undefined) => {
      for (const [n, d] of Object.entries(deps ?? {})) { names.add(n); walk((d as { dependencies?: Record<string, unknown> }).dependencies); }
    };
    walk(tree.dependencies);
    expect([...names].filter(ours).sort()).toEqual([...closure(parts)].sort());
    expect([...names].filter((n) => /zstd|bzip|xz|lzma|lz4|zlib-|unbzip/.test(n))).toEqual([]);
  });
});

/**
 * An npm registry for the @qubes-backup scope on 127.0.0.1, serving the packed tarballs as npm would
 * find them once published (a packument per package, then its tarball); npm fetches every other
 * dependency from the real registry. Lets `npm install -g @qubes-backup/cli` run as a user's would.
 */
async function scopeRegistry(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    const tarball = [...packed.values()].find((p) => path === `-/${p.filename}`);
    if (tarball) { res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(join(work, 'tgz', tarball.filename))); return; }
    const p = packed.get(path);
    const m = manifests.get(path);
    if (!p || !m) { res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}'); return; }
    const { address, port } = server.address() as AddressInfo;
    const version = {
      ...m, version: p.version,
      dist: { tarball: `http://${address}:${port}/-/${p.filename}`, integrity: p.integrity, shasum: p.shasum },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: p.name, 'dist-tags': { latest: p.version }, versions: { [p.version]: version } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('the CLI installed from the tarballs', () => {
  test('npm install -g @qubes-backup/cli into an empty prefix, then qubes-backup info from any folder', async () => {
    const registry = await scopeRegistry();
    try {
      const prefix = join(work, 'global');
      // Asynchronous: the registry answers from this process's event loop.
      await promisify(execFile)('npm', [
        'install', '-g', '--prefix', prefix, `--@qubes-backup:registry=${registry.url}`, '--no-audit', '--no-fund', '--prefer-offline',
        '@qubes-backup/cli',
      ], { cwd: work, env: { ...process.env, npm_config_update_notifier: 'false' } });
      const elsewhere = mkdtempSync(join(tmpdir(), 'qbt-anywhere-'));
      const out = execFileSync(join(prefix, 'bin', 'qubes-backup'), ['info', fixture('v4-sample'), '--json'], {
        cwd: elsewhere, encoding: 'utf8', env: { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes' },
      });
      rmSync(elsewhere, { recursive: true, force: true });
      expect((JSON.parse(out) as { ok: boolean; backup: { units: { name: string }[] } }).backup.units.map((u) => u.name)).toEqual(expect.arrayContaining(['work', 'dom0']));
    } finally {
      await registry.close();
    }
  }, 240_000);

  test('qubes-backup info on a fixture, from a project holding only the packed packages', () => {
    const dir = project('cli', closure(['@qubes-backup/cli']));
    const out = execFileSync(join(dir, 'node_modules', '.bin', 'qubes-backup'), ['info', fixture('v4-sample'), '--json'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes' },
    });
    const info = JSON.parse(out) as { version?: string; backup?: { units?: { name: string }[] } };
    // The version nx release writes into the CLI's package.json reaches every --json answer.
    expect(info.version).toBe(JSON.parse(readFileSync(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')).version);
    expect(info.backup?.units?.map((u) => u.name)).toEqual(expect.arrayContaining(['work', 'dom0']));
  }, 120_000);
});
