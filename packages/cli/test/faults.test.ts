// Faults of the machine doing the restore, through the installed command (a real process): the
// destination fills up, the process is killed at any moment, Ctrl-C on a terminal. After each the
// folder says truthfully what is complete, and `--resume` finishes the job byte for byte.
// docs/reliability.md lists each fault with the test here that shows it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import { OURS, prng, randomBytes, readOuter, testSeed, v4Chunk, writeOuter } from '@qubes-backup/testkit';

const PKG = join(dirname(new URL(import.meta.url).pathname), '..');
const BIN = join(PKG, 'bin', 'qubes-backup.js');
/** Three units (work, personal, dom0's home), images spread over many 20000-byte chunks. */
const BACKUP = join(OURS, 'v4-gnu-sparse-multichunk', 'backup.bin');
const ENV = { ...process.env, QUBES_BACKUP_PASSPHRASE: 'qubes' };

let work: string;
/** What a clean restore writes: path → what it is (file: sha256 and mode; symlink: target; dir). */
let clean: Map<string, string>;
let cleanMs: number;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'qbt-faults-'));
  const start = Date.now();
  const r = cli(['extract', BACKUP, '--dest', join(work, 'clean'), '--no-progress']);
  cleanMs = Date.now() - start;
  expect(r.status).toBe(0);
  clean = snapshot(join(work, 'clean'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = ENV): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
}

/**
 * Every entry under `dir` (links not followed): regular files by content and mode. Taken while a run
 * may still write there, so an entry gone between listing and reading (a `.partial` just renamed to
 * its final name) is skipped, not an error.
 */
function snapshot(dir: string, rel = '', out = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    try {
      const st = lstatSync(join(dir, p));
      if (st.isDirectory()) { out.set(p, 'dir'); snapshot(dir, p, out); }
      else if (st.isSymbolicLink()) out.set(p, `symlink ${readlinkSync(join(dir, p))}`);
      else out.set(p, `file ${createHash('sha256').update(readFileSync(join(dir, p))).digest('hex')} ${(st.mode & 0o777).toString(8)}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

/** The final (non-.partial) files in `dir` that are not exactly as a clean restore writes them. */
function wrongFinalFiles(dir: string): string[] {
  const wrong: string[] = [];
  for (const [p, what] of snapshot(dir)) {
    if (p.endsWith('.partial') || what === 'dir') continue;
    // A file still being written is only ever a .partial (mode 0600 until renamed).
    if (clean.get(p) !== what) wrong.push(`${p}: ${what}, a clean restore has ${clean.get(p) ?? 'nothing'}`);
  }
  return wrong;
}

describe('kill -9 at any moment, then extract --resume', () => {
  test('30 runs: no final file ever holds wrong or incomplete bytes, and every resumed run ends identical to a clean restore', async () => {
    const random = prng(testSeed(20261205, 'FAULTS_SEED'));
    for (let i = 0; i < 30; i++) {
      const dest = join(work, `kill-${i}`);
      // Its own process group, so the kill reaches the run itself, not only the bin wrapper.
      const child = spawn(process.execPath, [BIN, 'extract', BACKUP, '--dest', dest, '--no-progress'], { env: ENV, detached: true, stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise((r) => setTimeout(r, random() * cleanMs * 1.1));
      const before = wrongFinalFiles(dest);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* it finished first */ }
      await exited;
      expect([i, before, wrongFinalFiles(dest)]).toEqual([i, [], []]);
      const r = cli(['extract', BACKUP, '--dest', dest, '--resume', '--no-progress']);
      expect([i, r.status, r.stderr]).toEqual([i, 0, '']);
      expect([i, snapshot(dest)]).toEqual([i, clean]);
      rmSync(dest, { recursive: true, force: true });
    }
  }, 600_000);
});

/**
 * Runs `command` on a pseudo-terminal (script(1)) and types ^C there once `ready()` holds: the
 * terminal's SIGINT to the whole job, as a person's Ctrl-C. Returns the exit status, everything
 * printed, and the milliseconds from ^C to the "interrupted" line.
 */
async function ctrlC(command: string, ready: () => boolean): Promise<{ status: number | null; out: string; ms: number }> {
  const term = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...ENV, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
  let out = '';
  const said = new Promise<number>((resolve) => term.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (/qubes-backup: interrupted/.test(out)) resolve(Date.now());
  }));
  const status = new Promise<number | null>((resolve) => term.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 600 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(ready()).toBe(true);
  const typedAt = Date.now();
  term.stdin.write('\u0003');
  const saidAt = await said;
  term.stdin.end();
  return { status: await status, out, ms: saidAt - typedAt };
}

describe('Ctrl-C on a terminal', () => {
  test('stops within a second with exit 130, keeps what is complete, says how to resume; --resume completes it', async () => {
    const dest = join(work, 'ctrl-c');
    // The backup arrives slowly through a pipe (4 KiB every 15 ms), so the run is surely under way;
    // the feeder ignores the Ctrl-C and ends at the broken pipe.
    const feeder = join(work, 'feed.mjs');
    writeFileSync(feeder, `import { openSync, readSync } from 'node:fs';
process.on('SIGINT', () => {});
process.stdout.on('error', () => process.exit(0));
const fd = openSync(process.argv[2], 'r');
const buf = Buffer.alloc(4096);
const tick = () => { const n = readSync(fd, buf, 0, 4096, null); if (n === 0) return process.stdout.end(); process.stdout.write(buf.subarray(0, n), () => setTimeout(tick, 15)); };
tick();
`);
    // Once the first VM's folder exists.
    const r = await ctrlC(`bash -c 'node ${feeder} ${BACKUP} | node ${BIN} extract - --dest ${dest} --no-progress'`, () => existsSync(join(dest, 'work')));
    expect(r.status).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(r.out).toMatch(/to go on, run: qubes-backup extract - --dest \S+ --no-progress --resume/);
    expect(wrongFinalFiles(dest)).toEqual([]);
    expect(snapshot(dest).size).toBeLessThan(clean.size);
    const resumed = cli(['extract', BACKUP, '--dest', dest, '--resume', '--no-progress']);
    expect(resumed.status).toBe(0);
    expect(snapshot(dest)).toEqual(clean);
  }, 120_000);

  test('during get from a backup: the temporary image is removed', async () => {
    const workDir = join(work, 'get-work');
    mkdirSync(workDir);
    const files = join(OURS, 'v4-files', 'backup.bin');
    const r = await ctrlC(`node ${BIN} get ${files} --vm work /home/user/Videos/big-log.txt --dest ${join(work, 'got')} --work-dir ${workDir} --no-progress`,
      () => readdirSync(workDir).length > 0);
    expect(r.status).toBe(130);
    expect(readdirSync(workDir)).toEqual([]);
  }, 120_000);
});

describe('a destination that fills up (a small tmpfs; needs root to mount)', () => {
  const mnt = () => join(work, 'small');
  let mounted = false;
  beforeAll(() => {
    mkdirSync(mnt());
    // 300 KiB: work's files fit (236 KiB on disk), personal's do not.
    mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mnt()]).status === 0;
    if (!mounted) process.stderr.write('faults.test: skipping the disk-full tests: mounting a tmpfs needs root\n');
  });
  afterAll(() => { if (mounted) spawnSync('umount', [mnt()]); });

  test('the space check refuses before writing anything: exit 4, how much is needed and free', () => {
    if (!mounted) return;
    const r = cli(['extract', BACKUP, '--dest', join(mnt(), 'a')]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^qubes-backup: error: needs about 48\.0 MiB on '[^']+\/small\/a', 300\.0 KiB free \(.*--no-space-check/m);
    // The destination is made first (a bad one fails before the passphrase), and left empty.
    expect(readdirSync(join(mnt(), 'a'))).toEqual([]);
    const plan = cli(['extract', BACKUP, '--dest', join(mnt(), 'a'), '--dry-run']);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/Would write about 48\.0 MiB into \S+; 300\.0 KiB free there\. NOT ENOUGH SPACE\./);
  });

  test('disk full mid-restore (--no-space-check): exit 4 naming the file, its .partial removed, the VM before it intact', () => {
    if (!mounted) return;
    const dest = join(mnt(), 'b');
    const r = cli(['extract', BACKUP, '--dest', dest, '--no-space-check', '--no-progress']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^qubes-backup: error: vm6\/private\.img: disk full while writing '[^']+\/personal\/private\.img\.partial'$/m);
    expect(r.stderr).toMatch(/complete: work \(kept\); to go on, run: .* --resume$/m);
    const left = snapshot(dest);
    expect([...left.keys()].filter((p) => p.startsWith('personal/'))).toEqual([]);
    expect(wrongFinalFiles(dest)).toEqual([]);
    for (const [p, what] of clean) if (p.startsWith('work/')) expect([p, left.get(p)]).toEqual([p, what]);
  });
});

describe('a thin image of 1 TiB holding 3 MiB (GNU tar --sparse, PAX 1.0)', () => {
  test('restores in seconds, takes about its data on disk, memory flat', async () => {
    const dir = join(work, 'thin');
    mkdirSync(join(dir, 'src'), { recursive: true });
    const image = join(dir, 'src', 'private.img');
    // A real sparse file: 1 MiB of data at the start, the middle and the end of 1 TiB.
    expect(spawnSync('truncate', ['-s', '1T', image]).status).toBe(0);
    const data = [0, 2 ** 39, 2 ** 40 - 2 ** 20].map((at, i) => ({ at, bytes: randomBytes(1 << 20, 40 + i) }));
    const fd = openSync(image, 'r+');
    for (const d of data) writeSync(fd, d.bytes, 0, d.bytes.length, d.at);
    closeSync(fd);
    // v4-sample with work's image replaced by this one, archived as qvm-backup does (tar, gzip, one scrypt chunk).
    const tar = spawnSync('bash', ['-c', `tar --format=posix --sparse --sparse-version=1.0 -C ${join(dir, 'src')} --transform 's:^:vm5/:' -cf - private.img | gzip -1`], { maxBuffer: 64 << 20 });
    expect(tar.status).toBe(0);
    const sample = join(OURS, 'v4-sample');
    const { backup_id: backupId } = JSON.parse(readFileSync(join(sample, 'manifest.json'), 'utf8')) as { backup_id: string };
    const members = await readOuter(defaultRegistry(), new Uint8Array(readFileSync(join(sample, 'backup.bin'))));
    members.find((m) => m.name === 'vm5/private.img.000.enc')!.data = v4Chunk(new Uint8Array(tar.stdout), { backupId, stem: 'vm5/private.img.000' });
    const backup = join(dir, 'backup.bin');
    writeFileSync(backup, writeOuter(members));

    const dest = join(dir, 'out');
    const start = Date.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kib=%M', process.execPath, BIN, 'extract', backup, '--dest', dest, '--no-progress'], { encoding: 'utf8', env: ENV });
    const seconds = (Date.now() - start) / 1000;
    expect([r.status, r.stderr]).toEqual([0, expect.stringMatching(/^maxrss_kib=\d+\n$/)]);
    const out = join(dest, 'work', 'private.img');
    const st = statSync(out);
    const maxRssMiB = Number(/maxrss_kib=(\d+)/.exec(r.stderr)![1]) / 1024;
    process.stderr.write(`thin 1 TiB image: ${seconds.toFixed(1)} s, ${(st.blocks * 512 / 2 ** 20).toFixed(1)} MiB on disk, peak RSS ${maxRssMiB.toFixed(0)} MiB\n`);
    expect(st.size).toBe(2 ** 40);
    // Its data and a little metadata: nothing written for the holes.
    expect(st.blocks * 512).toBeLessThan(4 * 2 ** 20);
    const got = openSync(out, 'r');
    for (const d of data) {
      const back = Buffer.alloc(d.bytes.length);
      readSync(got, back, 0, back.length, d.at);
      expect(back.equals(Buffer.from(d.bytes))).toBe(true);
    }
    closeSync(got);
    // Nothing in proportion to the logical size (a map of 1 TiB of holes would be gigabytes).
    expect(maxRssMiB).toBeLessThan(300);
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
