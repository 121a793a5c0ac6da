// Faults of the machine doing the restore, through the installed command (a real process): the
// destination fills up, the process is killed at any moment, Ctrl-C on a terminal. After each the
// folder says truthfully what is complete, and `--resume` finishes the job byte for byte.
// docs/reliability.md lists each fault with the test here that shows it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OURS, prng, testSeed } from '@qubes-backup/testkit';

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

/** Every entry under `dir` (links not followed): regular files by content and mode. */
function snapshot(dir: string, rel = '', out = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, p));
    if (st.isDirectory()) { out.set(p, 'dir'); snapshot(dir, p, out); }
    else if (st.isSymbolicLink()) out.set(p, `symlink ${readlinkSync(join(dir, p))}`);
    else out.set(p, `file ${createHash('sha256').update(readFileSync(join(dir, p))).digest('hex')} ${(st.mode & 0o777).toString(8)}`);
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
    const command = `bash -c 'node ${feeder} ${BACKUP} | node ${BIN} extract - --dest ${dest} --no-progress'`;
    // script(1) runs it on a pseudo-terminal: a ^C typed there is the terminal's SIGINT to the whole job.
    const term = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...ENV, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
    let out = '';
    let interruptedAt = 0;
    const said = new Promise<number>((resolve) => term.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/qubes-backup: interrupted/.test(out)) resolve(Date.now());
    }));
    const status = new Promise<number | null>((resolve) => term.on('exit', (code) => resolve(code)));
    // Wait until the first VM's image is being written, then type ^C.
    for (let i = 0; i < 600 && !existsSync(join(dest, 'work')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(dest, 'work'))).toBe(true);
    interruptedAt = Date.now();
    term.stdin.write('\u0003');
    const saidAt = await said;
    term.stdin.end();
    expect(await status).toBe(130);
    expect(saidAt - interruptedAt).toBeLessThan(1000);
    expect(out).toMatch(/to go on, run: qubes-backup extract - --dest \S+ --no-progress --resume/);
    expect(wrongFinalFiles(dest)).toEqual([]);
    expect(snapshot(dest).size).toBeLessThan(clean.size);
    const r = cli(['extract', BACKUP, '--dest', dest, '--resume', '--no-progress']);
    expect(r.status).toBe(0);
    expect(snapshot(dest)).toEqual(clean);
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
