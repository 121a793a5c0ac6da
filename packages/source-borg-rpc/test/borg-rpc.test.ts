// A Borg repository read through a real `borg serve --append-only --restrict-to-path` (Debian's
// borgbackup, installed when missing and we are root), reached with --rsh as a restricted SSH key
// would force it: info, files, extract and verify give what they give on the local copy.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { OURS, fileDigests } from '@qubes-backup/testkit';

/** Why borg cannot run here, or undefined (installing Debian's borgbackup first when missing and root). */
function borgUnavailable(): string | undefined {
  const has = () => { try { execFileSync('borg', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } };
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return 'borg is missing and installing borgbackup needs root';
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq borgbackup'], { stdio: 'ignore', timeout: 300_000 });
  } catch (e) {
    return `installing borgbackup failed: ${(e as Error).message}`;
  }
  return has() ? undefined : 'borg is still missing after installing borgbackup';
}

const unavailable = borgUnavailable();
const describeBorg = unavailable ? describe.skip : describe;
if (unavailable) test.skip(`ssh:// through borg serve (skipped: ${unavailable})`, () => undefined);

let work = '';
let served = '';
let local = '';
let rsh = '';
let out = '';
let err = '';

beforeAll(() => {
  if (unavailable) return;
  work = mkdtempSync(join(tmpdir(), 'qbt-borg-rpc-'));
  // The server gets its own copy (borg serve may touch files of a repository it opens); the local
  // reads use the committed fixture.
  served = join(work, 'served');
  cpSync(join(OURS, 'borg', 'repokey-lz4', 'repo'), join(served, 'repo'), { recursive: true });
  cpSync(join(OURS, 'borg', 'keyfile-zstd', 'repo'), join(served, 'keyfile-repo'), { recursive: true });
  local = join(OURS, 'borg', 'repokey-lz4', 'repo');
  // What a restricted key's forced command does: whatever the client asked, run borg serve
  // append-only and confined to one folder. It ignores the ssh arguments (-p PORT, HOST, command).
  rsh = join(work, 'fake-ssh');
  writeFileSync(rsh, `#!/bin/sh\nBORG_BASE_DIR='${join(work, 'server-home')}' exec borg serve --append-only --restrict-to-path '${served}'\n`);
  chmodSync(rsh, 0o755);
});
afterAll(() => { if (!unavailable) rmSync(work, { recursive: true, force: true }); });
beforeEach(() => {
  out = ''; err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  process.env['BORG_PASSPHRASE'] = 'borg-fixture';
});
afterEach(() => { jest.restoreAllMocks(); delete process.env['BORG_PASSPHRASE']; });

const url = () => `ssh://backup@borg.example:2222${join(served, 'repo')}`;

/** stdout of a command that must succeed. */
async function run(args: string[]): Promise<string> {
  out = '';
  const code = await main(args);
  if (code !== 0) throw new Error(`${args.join(' ')}: exit ${code}: ${err}`);
  return out;
}


describeBorg('ssh:// through a real borg serve --append-only --restrict-to-path', () => {
  test('info --json: the same repository and archives as the local copy', async () => {
    type Answer = { backup: Record<string, unknown>; transferred?: number };
    const mine = (JSON.parse(await run(['info', local, '--json'])) as Answer).backup;
    const answer = JSON.parse(await run(['info', url(), '--json', '--rsh', rsh])) as Answer;
    const theirs = answer.backup;
    // borg serve does not say the transaction number; the location is the URL.
    const strip = ({ repository, transaction, lastTransaction, ...rest }: Record<string, unknown>) => {
      void transaction; void lastTransaction;
      return { ...rest, repository: { ...(repository as object), location: '' } };
    };
    expect(strip(theirs)).toEqual(strip(mine));
    // Every answer of borg serve counts: at least the manifest and the archives' metadata it read.
    expect(answer.transferred).toBeGreaterThan(1000);
    expect((theirs['archives'] as unknown[]).length).toBeGreaterThan(1);
  }, 60_000);

  test('files -r --json of REPO::ARCHIVE lists the same tree', async () => {
    const mine = await run(['files', `${local}::first`, '/', '-r', '--json']);
    const theirs = await run(['files', `${url()}::first`, '/', '-r', '--json', '--rsh', rsh]);
    expect(theirs).toEqual(mine);
    expect((JSON.parse(theirs) as { entries: unknown[] }).entries).not.toEqual([]);
  }, 60_000);

  test('extract of every archive writes the same files', async () => {
    const a = join(work, 'x-local');
    const b = join(work, 'x-served');
    await run(['extract', local, '--dest', a]);
    await run(['extract', url(), '--dest', b, '--rsh', rsh]);
    expect(fileDigests(b)).toEqual(fileDigests(a));
    expect(Object.keys(fileDigests(b)).length).toBeGreaterThan(3);
  }, 60_000);

  test('verify --json gives the same report', async () => {
    const mine = JSON.parse(await run(['verify', local, '--json'])) as { units: unknown };
    const theirs = JSON.parse(await run(['verify', url(), '--json', '--rsh', rsh])) as { units: unknown };
    expect(theirs.units).toEqual(mine.units);
  }, 60_000);

  test('a keyfile repository (no key on the server): the key file comes from this machine, --keyfile', async () => {
    const keyfile = join(OURS, 'borg', 'keyfile-zstd', 'keyfile');
    const a = join(work, 'k-local');
    const b = join(work, 'k-served');
    await run(['extract', join(OURS, 'borg', 'keyfile-zstd', 'repo'), '--dest', a, '--keyfile', keyfile]);
    await run(['extract', `ssh://backup@borg.example${join(served, 'keyfile-repo')}`, '--dest', b, '--keyfile', keyfile, '--rsh', rsh]);
    expect(fileDigests(b)).toEqual(fileDigests(a));
    expect(Object.keys(fileDigests(b)).length).toBeGreaterThan(0);
  }, 60_000);

  test('a path outside --restrict-to-path is refused by the server; the repository is unchanged', async () => {
    const before = readdirSync(join(served, 'repo')).sort();
    expect(await main(['info', `ssh://backup@borg.example${local}`, '--rsh', rsh])).toBe(1);
    expect(err).toMatch(/does not allow this path/);
    expect(readdirSync(join(served, 'repo')).sort()).toEqual(before);
    expect(existsSync(join(served, 'repo', 'lock.exclusive'))).toBe(false);
  }, 30_000);

  test('a remote shell that cannot start fails with one line naming the URL', async () => {
    expect(await main(['info', url(), '--rsh', join(work, 'no-such-ssh')])).toBe(4);
    expect(err).toMatch(/no-such-ssh/);
  }, 30_000);
});
