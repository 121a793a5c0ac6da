// The same verbs on a Wyng archive as on a Qubes backup: info (--json: volumes and their
// sessions), extract (--session, --vm) into DIR/<qube>/private.img, files/get inside a qube's
// image, verify; a wrong passphrase exits 2 as for Qubes backups.
import { afterEach, beforeEach, expect, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { cachedScryptRegistry, testEachWyng, type WyngFixture } from '@qubes-backup/testkit';

let out = '';
let err = '';
let work = '';
beforeEach(() => {
  out = ''; err = '';
  work = mkdtempSync(join(tmpdir(), 'qbt-cli-wyng-'));
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(work, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const run = (args: string[]) => main(args, cachedScryptRegistry);

/** `--passphrase-file` for an encrypted archive, nothing for a plain one. */
function pass(f: WyngFixture, text = f.manifest.passphrase): string[] {
  if (text === null) return [];
  const file = join(work, 'pass');
  writeFileSync(file, text);
  return ['--passphrase-file', file];
}

/** A private volume of the fixture whose last session lists files, with its qube. */
function privateVolume(f: WyngFixture) {
  for (const [name, v] of Object.entries(f.manifest.volumes)) {
    const qube = /^vm-(.+)-private$/.exec(name)?.[1] ?? /^appvms\/([^/]+)\/private\.img$/.exec(name)?.[1];
    const sessions = Object.keys(v.sessions).sort();
    if (qube) return { name, qube, sessions, v };
  }
  throw new Error('no private volume');
}

testEachWyng('info --json lists every volume with its sessions', async (f) => {
  expect(await run(['info', f.archive, '--json', ...pass(f)])).toBe(0);
  const info = (JSON.parse(out) as { backup: { format: string; volumes: { name: string; sessions: string[] }[] } }).backup;
  expect(info.format).toBe('wyng');
  expect(Object.fromEntries(info.volumes.map((v) => [v.name, v.sessions]))).toEqual(
    Object.fromEntries(Object.entries(f.manifest.volumes).map(([n, v]) => [n, Object.keys(v.sessions).sort()])));
});

testEachWyng('extract --session --vm writes DIR/<qube>/private.img as Wyng restored it, and only that qube', async (f) => {
  const { qube, sessions, v } = privateVolume(f);
  const dest = join(work, 'out');
  expect(await run(['extract', f.archive, '--dest', dest, '--session', sessions[0]!, '--vm', qube, ...pass(f)])).toBe(0);
  expect(sha(join(dest, qube, 'private.img'))).toBe(v.sessions[sessions[0]!]!.sha256);
  const others = Object.keys(f.manifest.volumes).map((n) => /^vm-(.+)-private$/.exec(n)?.[1]).filter((q) => q && q !== qube);
  for (const q of others) expect(existsSync(join(dest, q!))).toBe(false);
});

testEachWyng('files and get: a listed file comes out of the newest session of the qube image', async (f) => {
  const { qube, sessions, v } = privateVolume(f);
  const files = v.sessions[sessions.at(-1)!]!.files ?? [];
  expect(files.length).toBeGreaterThan(0);
  expect(await run(['files', f.archive, '--vm', qube, '-r', '/home/user', ...pass(f)])).toBe(0);
  for (const file of files) expect(out.split('\n')).toContain(file.path);
  const dest = join(work, 'got');
  expect(await run(['get', f.archive, '--vm', qube, files[0]!.path, '--dest', dest, ...pass(f)])).toBe(0);
  expect(sha(join(dest, files[0]!.path))).toBe(files[0]!.sha256);
});

testEachWyng('a wrong passphrase exits 2 with one line', async (f) => {
  expect(await run(['info', f.archive, ...pass(f, 'not the passphrase')])).toBe(2);
  expect(err.trim().split('\n').filter((l) => /error/i.test(l))).toHaveLength(1);
}, 120_000, (f) => f.manifest.passphrase !== null);

testEachWyng('verify (every chunk of every session) and verify --all-sessions exit 0', async (f) => {
  expect(await run(['verify', f.archive, ...pass(f)])).toBe(0);
  expect(await run(['verify', f.archive, '--all-sessions', ...pass(f)])).toBe(0);
});
