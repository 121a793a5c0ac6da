// The benchmark backups, built once with the independent generator and cached outside the repo.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WYNG_PYTHON } from './make-wyng-archive.mjs';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Sizes: `--random-kib` R goes into each private.img and R/4 into each root.img (my-template and standalone
 * have both), so the default four qubes hold 4.5·R of incompressible data; gzip leaves it as large.
 * 4.5 × 233000 KiB ≈ 1.0 GiB. Images are 1 GiB apparent, so each is 78–95 % hole.
 */
export function caseList(scale = 1) {
  const kib = (k) => String(Math.max(48, Math.round(k * scale)));
  const img = (bytes) => String(Math.max(32 * MiB, Math.round((bytes * scale) / MiB) * MiB));
  const mibs = (m) => String(Math.max(1, Math.round(m * scale * 100) / 100));
  const data1g = ['--image-size', img(GiB), '--random-kib', kib(233000)];
  return [
    { name: 'a', title: 'v4, default scrypt', gen: ['--version', '4', ...data1g, '--scrypt-default'],
      compare: true, target: 0.55, info: true },
    { name: 'b', title: 'v4, scrypt logN 14', gen: ['--version', '4', ...data1g, '--scrypt-logn', '14'],
      compare: true, target: 1.0, info: true, selectVm: 'standalone' },
    { name: 'c', title: 'v3, openssl + HMAC', gen: ['--version', '3', ...data1g],
      compare: true, target: 1.0 },
    // KDF-bound (issue 14): the CLI's default scrypt cost on little data, so the derivations are nearly all the work.
    { name: 'k', title: 'v4, logN 20, 8 MiB chunks, ~48 MiB (KDF-bound)', gen: ['--version', '4', '--vms', 'work', '--no-dom0',
      '--image-size', img(64 * MiB), '--random-kib', kib(49152), '--chunk-size', String(8 * MiB), '--scrypt-logn', '20'],
      compare: true, target: 0.62, info: true, kdfFloor: true },
    { name: 'd', title: 'v4, 1 GiB qube first, small last', gen: ['--version', '4', '--vms', 'work',
      '--image-size', img(2 * GiB), '--random-kib', kib(1000000), '--scrypt-logn', '14'], selectVm: 'dom0' },
    { name: 'e', title: 'v4, ~2 GiB (memory)', large: true, memory: true, gen: ['--version', '4',
      '--image-size', img(2 * GiB), '--random-kib', kib(466000), '--scrypt-logn', '14'] },
    { name: 'e2', title: 'v4, ~4 GiB (memory, 2× e)', large: true, memory: true, gen: ['--version', '4',
      '--image-size', img(2 * GiB), '--random-kib', kib(932000), '--scrypt-logn', '14'] },
    // Not a Qubes backup: a Borg 1.x repository made by Debian's borg from ~1 GiB of mixed data (see
    // lib/make-borg-repo.mjs), restored by ours and by `borg extract` itself.
    { name: 'f', title: 'Borg repokey, lz4, ~1 GiB mixed', borg: true, info: true, target: 1.0, rssTarget: 200e6,
      generator: here('./make-borg-repo.mjs'), generatorDeps: [here('../../make-fixture/lib/prng.mjs'), here('./mixed-data.mjs')],
      gen: ['--seed', '1', '--image-mib', mibs(512), '--files-mib', mibs(448), '--max-file-mib', '50',
        '--small-files', String(Math.max(20, Math.round(3000 * scale))), '--encryption', 'repokey', '--compression', 'lz4'] },
    // Not a Qubes backup either: a Wyng archive of one 1 GiB VM volume of mixed data, sent by the real Wyng from
    // btrfs (lib/make-wyng-archive.mjs), restored by ours and by `wyng receive --save-to`; g2 (2× g) for memory.
    ...[['g', 1024, false], ['g2', 2048, true]].map(([name, size, large]) => ({
      name, title: `Wyng, XChaCha20 + zstd:3, ${size / 1024} GiB volume${large ? ' (memory, 2× g)' : ''}`, wyng: true, large,
      target: 1.0, generator: here('./make-wyng-archive.mjs'),
      generatorDeps: [here('../../make-fixture/lib/prng.mjs'), here('./mixed-data.mjs')],
      gen: ['--seed', '1', '--volume-mib', mibs(size)] })),
  ];
}

export const REQUIRED_TOOLS = ['python3', 'scrypt', 'tar', 'gzip', 'openssl', 'mkfs.ext4', 'debugfs', 'strace', 'du'];
const BORG_TOOLS = ['strace', 'du'];
// Wyng runs on Debian's python3 with these packages (and as root: it loop-mounts btrfs).
const WYNG_DEBS = { 'mkfs.btrfs': 'btrfs-progs', gawk: 'gawk', strace: 'strace' };
const WYNG_MODULES = { Cryptodome: 'python3-pycryptodome', zstd: 'python3-zstd' };
const APT = 'apt-get install -y python3 scrypt tar gzip openssl e2fsprogs strace time coreutils';
const have = (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

/** Tools the selected cases need; Debian's borg is installed when a Borg case runs and `borg` is missing. */
export function checkTools(cases, log) {
  const needs = new Set(cases.filter((c) => !c.wyng).flatMap((c) => (c.borg ? BORG_TOOLS : REQUIRED_TOOLS)));
  const missing = [...needs].filter((t) => !have(t));
  if (!existsSync('/usr/bin/time')) missing.push('/usr/bin/time');
  if (missing.length) {
    process.stderr.write(`bench: missing tools: ${missing.join(', ')}\n  install with: ${APT}\n`);
    process.exit(2);
  }
  const debs = [];
  if (cases.some((c) => c.borg) && !have('borg')) debs.push('borgbackup');
  if (cases.some((c) => c.wyng)) {
    debs.push(...Object.entries(WYNG_DEBS).filter(([t]) => !have(t)).map(([, d]) => d));
    debs.push(...Object.entries(WYNG_MODULES).filter(([mod]) => spawnSync(WYNG_PYTHON, ['-c', `import ${mod}`]).status !== 0).map(([, d]) => d));
  }
  if (debs.length) {
    log(`missing: apt-get update; apt-get install -y ${debs.join(' ')}`);
    for (const args of [['update'], ['install', '-y', ...debs]]) {
      const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.status !== 0) { process.stderr.write(`bench: apt-get ${args.join(' ')} failed; install ${debs.join(' ')} by hand\n`); process.exit(2); }
    }
  }
}

/**
 * Returns { dir, backup, manifest }, building the backup on first use. The cache key covers the generator's
 * own bytes (and its `generatorDeps`) and the arguments, so a changed generator or case builds anew. A case
 * may bring its own generator (`c.generator`, run with node when it ends in .mjs); it must write
 * `<out>/manifest.json` with `backup_file` like make-qubes-backup does.
 */
export function ensureBackup(c, { generator: defaultGenerator, cacheRoot, log }) {
  const generator = c.generator ?? defaultGenerator;
  const hash = createHash('sha256').update(readFileSync(generator));
  for (const dep of c.generatorDeps ?? []) hash.update(readFileSync(dep));
  const key = hash.update(JSON.stringify(c.gen)).digest('hex').slice(0, 12);
  const dir = join(cacheRoot, 'backups', `${c.name}-${key}`);
  const manifestPath = join(dir, 'manifest.json');
  waitForOtherBuilder(`${dir}.lock`, manifestPath, log);
  if (!existsSync(manifestPath)) {
    mkdirSync(join(cacheRoot, 'backups'), { recursive: true });
    writeFileSync(`${dir}.lock`, String(process.pid));
    const partial = `${dir}.partial`;
    const tmp = join(cacheRoot, 'gen-tmp');
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const args = [generator, ...c.gen, '--name', 'qubes-backup-bench', '--out', partial];
    const interpreter = generator.endsWith('.mjs') ? process.execPath : 'python3';
    log(`building (${c.name}) ${interpreter.endsWith('python3') ? 'python3' : 'node'} ${args.join(' ')}`);
    const t0 = Date.now();
    const r = spawnSync(interpreter, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
    if (r.status !== 0) throw new Error(`generator failed for case ${c.name} (exit ${r.status})`);
    renameSync(partial, dir);
    rmSync(`${dir}.lock`, { force: true });
    log(`built (${c.name}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const backup = join(dir, manifest.backup_file ?? readdirSync(dir).find((f) => f !== 'manifest.json'));
  return { dir, backup, manifest, key };
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };

/** Two bench runs may share a cache: wait while a live process holds `<case>.lock`. */
function waitForOtherBuilder(lock, manifestPath, log) {
  let told = false;
  while (existsSync(lock) && !existsSync(manifestPath)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (!pid || pid === process.pid || !alive(pid)) return;
    if (!told) { log(`waiting for process ${pid}, which is building ${manifestPath.replace(/\/manifest.json$/, '')}`); told = true; }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  }
}
