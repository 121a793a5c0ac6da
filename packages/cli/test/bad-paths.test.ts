// Every command against every bad path, as the installed command (a real process: a hang or a stack
// trace shows only there). Each run must end (the spawn timeout is a hang guard, not a measurement)
// with its documented exit status and one error line that names the path, never an internal error.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const PKG = join(dirname(new URL(import.meta.url).pathname), '..');
const BIN = join(PKG, 'bin', 'qubes-backup.js');
const SAMPLE = join(PKG, '../../test-fixtures/v4-sample/backup.bin');
/** A Borg repository, its one archive, and one whose key is kept outside it (--keyfile). */
const BORG = join(PKG, '../../test-fixtures/borg');
const ARCHIVE = `${join(BORG, 'repokey-lz4', 'repo')}::first`;
const KEYFILE_REPO = join(BORG, 'keyfile-zstd', 'repo');
/** A run longer than this is taken for a hang (killed, and the test fails). */
const HANG_GUARD_MS = 20_000;

/** The documented exit statuses (packages/cli/src/main.ts EXIT_HELP). */
const USAGE = 1;
const CORRUPT = 3;
const IO = 4;

const work = mkdtempSync(join(tmpdir(), 'qbt-bad-paths-'));
afterAll(() => {
  chmodSync(join(work, 'readonly'), 0o700);
  rmSync(work, { recursive: true, force: true });
});

/** The kinds of bad path, and the exit status each must give where a backup, a destination or a file is expected. */
const bad = {
  missing: join(work, 'missing.bin'),
  directory: join(work, 'empty-dir'),
  device: '/dev/null',
  dangling: join(work, 'dangling'),
  existingFile: join(work, 'a-file'),
  underDangling: join(work, 'dangling', 'out'),
  // root writes through any mode bits: a sysfs path refuses even root (EPERM).
  unwritable: process.getuid?.() === 0 ? '/sys/qubes-backup-test' : join(work, 'readonly', 'out'),
  underProc: '/proc/qubes-backup-test/out',
} as const;

beforeAll(() => {
  mkdirSync(bad.directory);
  symlinkSync(join(work, 'nowhere'), bad.dangling);
  writeFileSync(bad.existingFile, 'not a folder\n');
  mkdirSync(join(work, 'readonly'), { mode: 0o500 });
});

interface Case { name: string; args: string[]; path: string; status: number }

/** The backup argument of every command; `files`/`get` with and without --vm (a disk image or a backup). */
function backupCases(): Case[] {
  const commands: [string, (p: string) => string[]][] = [
    ['info', (p) => ['info', p]],
    ['info --json', (p) => ['info', p, '--json']],
    ['verify', (p) => ['verify', p]],
    ['verify --vm', (p) => ['verify', p, '--vm', 'work']],
    ['extract', (p) => ['extract', p, '--dest', join(work, 'out-extract')]],
    ['files', (p) => ['files', p]],
    ['files --vm', (p) => ['files', p, '--vm', 'work']],
    ['get', (p) => ['get', p, '/home', '--dest', join(work, 'out-get')]],
    ['get --vm', (p) => ['get', p, '--vm', 'work', '/home', '--dest', join(work, 'out-get')]],
  ];
  const paths: [keyof typeof bad, number][] = [['missing', IO], ['directory', CORRUPT], ['device', CORRUPT], ['dangling', IO]];
  return commands.flatMap(([c, args]) => paths.map(([kind, status]) => ({ name: `${c} BACKUP=${kind}`, args: args(bad[kind]), path: bad[kind], status })));
}

/** Where something is written: --dest of extract and get, --work-dir of files and get (with a backup of disk images). */
function destinationCases(): Case[] {
  const commands: [string, (p: string) => string[]][] = [
    ['extract --dest', (p) => ['extract', SAMPLE, '--vm', 'work', '--dest', p]],
    ['get --dest', (p) => ['get', SAMPLE, '--vm', 'work', '/home', '--dest', p]],
    ['files --work-dir', (p) => ['files', SAMPLE, '--vm', 'work', '--work-dir', p]],
    ['get --work-dir', (p) => ['get', SAMPLE, '--vm', 'work', '/home', '--dest', join(work, 'out-get'), '--work-dir', p]],
    ['extract REPO::ARCHIVE --dest', (p) => ['extract', ARCHIVE, '--dest', p]],
    ['get REPO::ARCHIVE --dest', (p) => ['get', ARCHIVE, '/', '--dest', p]],
  ];
  const paths: (keyof typeof bad)[] = ['existingFile', 'device', 'underDangling', 'unwritable', 'underProc'];
  return commands.flatMap(([c, args]) => paths.map((kind) => ({ name: `${c}=${kind}`, args: args(bad[kind]), path: bad[kind], status: IO })));
}

/** --passphrase-file, which every command takes. */
function passphraseFileCases(): Case[] {
  const commands: [string, string[]][] = [
    ['info', ['info', SAMPLE]], ['verify', ['verify', SAMPLE]], ['extract', ['extract', SAMPLE, '--dest', join(work, 'out-pf')]],
    ['files', ['files', SAMPLE, '--vm', 'work']], ['get', ['get', SAMPLE, '--vm', 'work', '/home', '--dest', join(work, 'out-pf')]],
  ];
  // An empty passphrase file (a device reads as one) is refused as empty: a usage error.
  const paths: [keyof typeof bad, number][] = [['missing', IO], ['directory', IO], ['device', USAGE], ['dangling', IO]];
  return commands.flatMap(([c, args]) => paths.map(([kind, status]) => ({
    name: `${c} --passphrase-file=${kind}`, args: [...args, '--passphrase-file', bad[kind]], path: bad[kind], status,
  })));
}

/** --keyfile, which Borg's plugin declares on every command. */
function keyfileCases(): Case[] {
  const commands: [string, string[]][] = [
    ['info', ['info', KEYFILE_REPO]], ['verify', ['verify', KEYFILE_REPO]], ['extract', ['extract', KEYFILE_REPO, '--dest', join(work, 'out-kf')]],
    ['files', ['files', `${KEYFILE_REPO}::backup`]], ['get', ['get', `${KEYFILE_REPO}::backup`, '/', '--dest', join(work, 'out-kf')]],
  ];
  // A file that holds no key (a device reads as an empty one) is a usage error, like a bad argument.
  const paths: [keyof typeof bad, number][] = [['missing', IO], ['directory', IO], ['device', USAGE], ['dangling', IO]];
  return commands.flatMap(([c, args]) => paths.map(([kind, status]) => ({
    name: `${c} --keyfile=${kind}`, args: [...args, '--keyfile', bad[kind]], path: bad[kind], status,
  })));
}

function run(args: string[]): { status: number | null; signal: string | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', timeout: HANG_GUARD_MS, killSignal: 'SIGKILL',
    // Set, so the wrapper runs the command itself instead of a child the hang guard could not kill.
    env: { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes', BORG_PASSPHRASE: 'borg-fixture', MALLOC_MMAP_THRESHOLD_: String(4 << 20) },
  });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

describe('every command x every bad path: one error line naming the path, the documented exit status, no hang', () => {
  test.each([...backupCases(), ...destinationCases(), ...passphraseFileCases(), ...keyfileCases()])('$name', ({ args, path, status }) => {
    const r = run(args);
    expect({ signal: r.signal, status: r.status }).toEqual({ signal: null, status });
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/internal error/);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('qubes-backup: error: '));
    expect(errors).toHaveLength(1);
    // The path as given, or the part of it that exists and is in the way.
    expect(errors[0]).toMatch(new RegExp(`'${escape(path)}|'${escape(dirname(path))}'`));
  }, HANG_GUARD_MS + 5_000);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
