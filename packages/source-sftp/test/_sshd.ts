// A real OpenSSH sshd for the tests: its own config, throwaway host and user keys, 127.0.0.1 on a
// free port, public-key login only. It runs under `timeout`, so it stops by itself even when the
// test process dies; stop() ends it sooner. Debian's openssh-server is installed when sshd is
// missing and we are root (CI's fresh machine); otherwise the tests are skipped with the reason.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';
/** The longest the server lives, whatever happens to the test. */
const LIFETIME_S = 600;

export interface Sshd {
  readonly port: number;
  readonly user: string;
  /** The user's private key (for --identity). */
  readonly identity: string;
  /** The host's public key line (`ssh-ed25519 AAAA…`) and its `SHA256:` fingerprint. */
  readonly hostKey: string;
  /** Its second host key (`ecdsa-sha2-nistp256 AAAA…`): a client knowing only this one must be shown this one. */
  readonly ecdsaHostKey: string;
  readonly fingerprint: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** Why sshd cannot run here, or undefined when it can (installing it first if needed). */
export function sshdUnavailable(): string | undefined {
  if (existsSync(SSHD)) return undefined;
  if (process.getuid?.() !== 0) return `${SSHD} is missing and installing openssh-server needs root`;
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server'], { stdio: 'ignore', timeout: 300_000 });
  } catch (e) {
    return `installing openssh-server failed: ${(e as Error).message}`;
  }
  return existsSync(SSHD) ? undefined : `${SSHD} is still missing after installing openssh-server`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-sshd-'));
  const keygen = (file: string, type = 'ed25519') => execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'qbt-test', '-f', file]);
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'host_key_ecdsa'), 'ecdsa');
  keygen(join(dir, 'user_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  const port = await freePort();
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `HostKey ${join(dir, 'host_key_ecdsa')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no', 'PubkeyAuthentication yes',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'UsePAM no',
    'Subsystem sftp internal-sftp', 'LogLevel ERROR', '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation folder, absent until the service first ran
  let log = '';
  const child = spawn('timeout', [String(LIFETIME_S), SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  child.unref();
  await listening(port, child, () => log);
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')]).toString().split(' ')[1]!;
  const publicLine = (file: string) => readFileSync(join(dir, file), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return {
    port, user: userInfo().username, identity: join(dir, 'user_key'), hostKey: publicLine('host_key.pub'), ecdsaHostKey: publicLine('host_key_ecdsa.pub'), fingerprint: fp, dir,
    stop: async () => {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
