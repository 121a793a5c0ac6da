// A named pipe, a process substitution (<(...)) or /dev/stdin given as the backup (issue 16): read
// once from the start like `-`, never with positioned reads (ESPIPE), and never stuck where Ctrl-C
// cannot end the run when nothing writes.
import { afterEach, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { captureOutput } from './_output.js';

const FIX = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures');
const sample = join(FIX, 'v4-sample', 'backup.bin');
const BIN = join(dirname(new URL(import.meta.url).pathname), '..', 'bin', 'qubes-backup.js');

const c = captureOutput('qbt-fifo-');
const children: ChildProcess[] = [];
afterEach(() => {
  // A writer whose reader never came blocks in open() forever: it must not outlive the test.
  // Each runs in its own process group, so the bin's inner node process goes too.
  for (const p of children.splice(0)) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
});

/** A new named pipe in the test's folder. */
function fifo(name = 'pipe'): string {
  const p = join(c.work, name);
  execFileSync('mkfifo', [p]);
  return p;
}

/** Another process that writes `file` into the pipe, as `cat backup.bin > pipe &` does. */
function writeInto(pipe: string, file = sample): void {
  children.push(spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, pipe], { stdio: 'ignore', detached: true }));
}

/** Whether some process holds `pipe` open within `ms` (Linux: a link in /proc/PID/fd names it). */
async function waitForReader(pipe: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const fds = (() => { try { return readdirSync(`/proc/${pid}/fd`); } catch { return []; } })();
      if (fds.some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === pipe; } catch { return false; } })) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('a named pipe as the backup', () => {
  test('verify reads it as a stream', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const p = fifo();
    writeInto(p);
    expect(await main(['verify', p])).toBe(0);
    expect(c.err).not.toMatch(/error/);
  }, 60_000);

  test('info prints what it prints for the file', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    expect(await main(['info', sample])).toBe(0);
    const fromFile = c.out;
    c.out = '';
    const p = fifo();
    writeInto(p);
    expect(await main(['info', p])).toBe(0);
    expect(c.out.replaceAll(p, 'B')).toBe(fromFile.replaceAll(sample, 'B'));
  }, 60_000);

  test('extract restores the same bytes as from the file', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const p = fifo();
    writeInto(p);
    expect(await main(['extract', p, '--dest', join(c.work, 'from-pipe'), '--vm', 'work'])).toBe(0);
    expect(await main(['extract', sample, '--dest', join(c.work, 'from-file'), '--vm', 'work'])).toBe(0);
    expect(sha(join(c.work, 'from-pipe', 'work', 'private.img'))).toBe(sha(join(c.work, 'from-file', 'work', 'private.img')));
  }, 60_000);

  test('files and get take it as a backup, as they take -', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    expect(await main(['files', sample, '--vm', 'work', '/home/user'])).toBe(0);
    const fromFile = c.out;
    c.out = '';
    const p = fifo();
    writeInto(p);
    expect(await main(['files', p, '--vm', 'work', '/home/user', '--work-dir', c.work])).toBe(0);
    expect(c.out).toBe(fromFile);
    writeInto(p);
    expect(await main(['get', p, '--vm', 'work', '/home/user', '--dest', join(c.work, 'got'), '--work-dir', c.work])).toBe(0);
  }, 60_000);

  test('nothing writes: the run waits, and SIGTERM ends it (exit 130)', async () => {
    const p = fifo();
    const run = spawn(process.execPath, [BIN, 'verify', p], {
      detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes', NODE_OPTIONS: '' },
    });
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const ended = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    // Signalled only once the run has the pipe open and waits on it (not a fixed delay: a loaded
    // machine may take seconds to start the bin and the run it starts).
    expect(await waitForReader(p, 20_000)).toBe(true);
    expect(run.exitCode).toBeNull();
    run.kill('SIGTERM');
    const code = await Promise.race([ended, new Promise<string>((r) => setTimeout(() => r('still running 5 s after SIGTERM'), 5000).unref())]);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted/);
  }, 40_000);
});

describe('other streams named by a path', () => {
  const shell = (script: string) => spawnSync('bash', ['-c', script, 'bash', process.execPath, BIN, sample], {
    encoding: 'utf8', env: { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes', NODE_OPTIONS: '' }, timeout: 30_000,
  });

  test('a process substitution <(...) (a /dev/fd/N pipe)', () => {
    const r = shell('"$1" "$2" verify <(cat "$3")');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
  });

  test('/dev/stdin fed by a pipe', () => {
    const r = shell('cat "$3" | "$1" "$2" verify /dev/stdin');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
  });
});
