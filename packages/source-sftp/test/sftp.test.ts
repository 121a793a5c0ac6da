// Backups read over SFTP from a real OpenSSH sshd the test starts on 127.0.0.1 (test/_sshd.ts):
// a v4 backup file and a Borg repository folder restore exactly as their local copies do, and an
// unknown or changed host key is refused before anything else happens, its fingerprint shown.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '@qubes-backup/cli';
import { OURS, fileDigests } from '@qubes-backup/testkit';
import { sshdUnavailable, startSshd, type Sshd } from './_sshd.js';

const unavailable = sshdUnavailable();
const describeSshd = unavailable ? describe.skip : describe;
if (unavailable) test.skip(`sftp:// against a real sshd (skipped: ${unavailable})`, () => undefined);

let sshd: Sshd;
let work = '';
let home = '';
const saved: Record<string, string | undefined> = {};
let out = '';
let err = '';

beforeAll(async () => {
  if (unavailable) return;
  sshd = await startSshd();
  work = mkdtempSync(join(tmpdir(), 'qbt-sftp-'));
}, 120_000);
afterAll(async () => {
  if (unavailable) return;
  await sshd.stop();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  out = ''; err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  // A home of our own: no agent, no default keys, an empty known_hosts unless a test writes one.
  for (const k of ['HOME', 'SSH_AUTH_SOCK', 'QUBES_BACKUP_PASSPHRASE', 'BORG_PASSPHRASE']) saved[k] = process.env[k];
  home = mkdtempSync(join(tmpdir(), 'qbt-sftp-home-'));
  process.env['HOME'] = home;
  delete process.env['SSH_AUTH_SOCK'];
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  rmSync(home, { recursive: true, force: true });
});

const url = (path: string) => `sftp://${sshd.user}@127.0.0.1:${sshd.port}${resolve(path)}`;
const trust = () => ['--identity', sshd.identity, '--accept-host-key', sshd.fingerprint];


/** The same command on the local path and on its sftp:// URL; both must succeed and write the same tree. */
async function sameAsLocal(path: string, suffix: string, args: string[]): Promise<Record<string, string>> {
  const local = join(work, `local-${Math.random().toString(36).slice(2)}`);
  const remote = join(work, `remote-${Math.random().toString(36).slice(2)}`);
  expect(await main(['extract', `${path}${suffix}`, '--dest', local, ...args])).toBe(0);
  expect(await main(['extract', `${url(path)}${suffix}`, '--dest', remote, ...args, ...trust()])).toBe(0);
  const t = fileDigests(remote);
  expect(t).toEqual(fileDigests(local));
  expect(Object.keys(t).length).toBeGreaterThan(0);
  return t;
}

describeSshd('sftp:// against a real OpenSSH sshd on 127.0.0.1', () => {
  test('a v4 backup restores over sftp:// byte for byte as from the local file', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const t = await sameAsLocal(join(OURS, 'v4-sample', 'backup.bin'), '', []);
    expect(Object.keys(t)).toEqual(expect.arrayContaining([join('work', 'private.img')]));
  }, 60_000);

  test('an archive of a Borg repository (a folder) extracts over sftp://REPO::ARCHIVE as locally', async () => {
    process.env['BORG_PASSPHRASE'] = 'borg-fixture';
    await sameAsLocal(join(OURS, 'borg', 'repokey-lz4', 'repo'), '::first', []);
  }, 60_000);

  test('a Borg repository whose last segment is a symbolic link (moved to another disk) reads its last transaction over sftp://', async () => {
    process.env['BORG_PASSPHRASE'] = 'borg-fixture';
    const repo = join(work, 'linked-repo');
    cpSync(join(OURS, 'borg', 'repokey-lz4', 'repo'), repo, { recursive: true });
    const last = join(repo, 'data', '0', String(Math.max(...readdirSync(join(repo, 'data', '0')).map(Number))));
    renameSync(last, join(work, 'linked-last'));
    symlinkSync(join(work, 'linked-last'), last);
    await sameAsLocal(repo, '::second', []);
  }, 60_000);

  test('info --json over sftp:// equals the local one', async () => {
    process.env['BORG_PASSPHRASE'] = 'borg-fixture';
    const repo = join(OURS, 'borg', 'repokey-lz4', 'repo');
    expect(await main(['info', repo, '--json'])).toBe(0);
    const local = (JSON.parse(out) as { backup: Record<string, unknown> }).backup;
    out = '';
    expect(await main(['info', url(repo), '--json', ...trust()])).toBe(0);
    const { transferred, backup: remote } = JSON.parse(out) as { transferred: number; backup: Record<string, unknown> & { repository: { location: string } } };
    expect(remote.repository.location).toBe(url(repo));
    expect({ ...remote, repository: { ...remote.repository, location: '' } }).toEqual({ ...local, repository: { ...(local['repository'] as object), location: '' } });
    expect(transferred).toBeGreaterThan(0);
  }, 60_000);

  test('an unknown host key is refused, the message showing its fingerprint', async () => {
    const file = join(OURS, 'v4-sample', 'backup.bin');
    expect(await main(['info', url(file), '--identity', sshd.identity])).toBe(4);
    expect(err).toContain(`host key of [127.0.0.1]:${sshd.port} is unknown (${sshd.fingerprint})`);
    expect(err).toContain(`--accept-host-key ${sshd.fingerprint}`);
    err = '';
    expect(await main(['info', url(file), '--identity', sshd.identity, '--accept-host-key', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])).toBe(4);
    expect(err).toContain('does not match');
  }, 30_000);

  test('a key in ~/.ssh/known_hosts (plain or hashed) is trusted; a different one for the host is refused as changed', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const file = join(OURS, 'v4-sample', 'backup.bin');
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    expect(await main(['info', url(file), '--identity', sshd.identity])).toBe(0);
    // HashKnownHosts: the same line with the name hashed (|1|salt|hmac) by ssh-keygen -H.
    execFileSync('ssh-keygen', ['-H', '-f', join(home, '.ssh', 'known_hosts')], { stdio: 'ignore' });
    expect(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8')).toMatch(/^\|1\|/);
    expect(await main(['info', url(file), '--identity', sshd.identity])).toBe(0);
    writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ3nQf0mZ5dDk7y6k3Yd2o3kq2o6W2r5a9l8rX9b6Yh\n`);
    err = '';
    expect(await main(['info', url(file), '--identity', sshd.identity, '--accept-host-key', sshd.fingerprint])).toBe(4);
    expect(err).toContain('is not the one in ~/.ssh/known_hosts');
  }, 30_000);

  test('a host known only by its ECDSA key is asked for that key, as OpenSSH does, not refused as changed', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.ecdsaHostKey}\n`);
    expect(await main(['info', url(join(OURS, 'v4-sample', 'backup.bin')), '--identity', sshd.identity])).toBe(0);
  }, 30_000);

  test('an --identity that cannot be used (encrypted) says so, rather than being passed over', async () => {
    const key = join(home, 'encrypted_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', key]);
    expect(await main(['info', url(join(OURS, 'v4-sample', 'backup.bin')), '--identity', key, ...trust().slice(2)])).toBe(1);
    expect(err).toContain(`--identity '${key}' is not a private key this can use unlocked`);
  }, 30_000);

  test('a key held by ssh-agent logs in without --identity or a key file', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const sock = join(home, 'agent.sock');
    // Our own agent on a socket in the throwaway home, ended by its pid below.
    const started = execFileSync('ssh-agent', ['-a', sock, '-s']).toString();
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    try {
      execFileSync('ssh-add', [sshd.identity], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      process.env['SSH_AUTH_SOCK'] = sock;
      expect(await main(['info', url(join(OURS, 'v4-sample', 'backup.bin')), '--accept-host-key', sshd.fingerprint])).toBe(0);
    } finally {
      if (pid > 0) process.kill(pid);
    }
  }, 30_000);

  test('the default key ~/.ssh/id_ed25519 logs in without --identity; a missing path names the URL', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(sshd.identity), { mode: 0o600 });
    expect(await main(['info', url(join(OURS, 'v4-sample', 'backup.bin')), '--accept-host-key', sshd.fingerprint])).toBe(0);
    err = '';
    const missing = url(join(OURS, 'no-such-backup.bin'));
    expect(await main(['info', missing, '--accept-host-key', sshd.fingerprint])).toBe(4);
    expect(err).toContain('no such file or folder');
  }, 30_000);
});
