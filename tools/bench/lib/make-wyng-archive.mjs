#!/usr/bin/env node
// The bench's Wyng archive: one VM volume, `vm-bench-private` (restored by ours as bench/private.img), of
// mixed data like a disk image (lib/mixed-data.mjs: holes, random, repeated and text regions), stored by the
// real Wyng the way a Qubes user's Wyng stores it: local storage on a btrfs subvolume of a loop-mounted
// image, `arch-init` (Wyng's defaults: XChaCha20 encryption, zstd:3, HMAC-SHA256 chunk hashes), `add`,
// `send`. Run by lib/cases.mjs like make-qubes-backup:
//   node make-wyng-archive.mjs [options] --name NAME --out DIR
// writes DIR/archive/ and DIR/manifest.json (passphrase, volume, session, size and sha256 of the volume,
// Wyng's version). The btrfs image is deleted afterwards; the manifest is what a restore must reproduce.
//
// Needs root (Wyng refuses to run otherwise, and the image is loop-mounted), Wyng itself (`src/wyng` of
// tasket/wyng-backup, GPL-3, never committed here: --wyng PATH or QUBES_BENCH_WYNG) and, from Debian,
// btrfs-progs, gawk, python3-pycryptodome and python3-zstd (lib/cases.mjs installs them when missing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../../make-fixture/lib/prng.mjs';
import { TextSource, buildImage } from './mixed-data.mjs';

const MiB = 2 ** 20;
export const WYNG_PYTHON = '/usr/bin/python3';
export const VOLUME = 'vm-bench-private';

function parseArgs(argv) {
  const o = { seed: '1', volumeMib: 1024, passphrase: 'wyng-bench-passphrase', name: 'bench', out: null, wyng: process.env.QUBES_BENCH_WYNG ?? null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--seed') o.seed = v();
    else if (a === '--volume-mib') o.volumeMib = Number(v());
    else if (a === '--passphrase') o.passphrase = v();
    else if (a === '--name') o.name = v();
    else if (a === '--out') o.out = v();
    else if (a === '--wyng') o.wyng = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.out) throw new Error('--out DIR is required');
  if (!(o.volumeMib > 0)) throw new Error('--volume-mib must be positive');
  if (!o.wyng || !existsSync(o.wyng)) throw new Error('Wyng not found: set QUBES_BENCH_WYNG to src/wyng of tasket/wyng-backup (or pass --wyng)');
  return o;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 16 * MiB, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Wyng's arguments for one command against `archive`: metadata kept in `metaDir` (not /var/lib/wyng), the
 * passphrase read by `--passcmd` from `passFile`, and `--authmin=0` so no wyng-agent keeps the key for the
 * next command (each command derives it, as each of ours does). Also used by lib/wyng.mjs for `receive`.
 */
export const wyngArgs = ({ wyng, archive, metaDir, passFile }, ...rest) =>
  [wyng, `--meta-dir=${metaDir}`, `--passcmd=cat ${passFile}`, '--authmin=0', `--dest=file:${archive}`, ...rest];

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('make-wyng-archive must run as root (Wyng and the loop mount need it)');
  const work = mkdtempSync(join(tmpdir(), 'wyng-bench-'));
  const mnt = join(work, 'mnt');
  let mounted = false;
  try {
    const size = Math.round(o.volumeMib * MiB);
    const image = join(work, 'pool.img');
    writeFileSync(image, '');
    truncateSync(image, Math.round(size * 1.25) + 512 * MiB); // the volume, Wyng's snapshot metadata, btrfs's own
    run('mkfs.btrfs', ['-q', image]);
    mkdirSync(mnt);
    run('mount', ['-o', 'loop', image, mnt]);
    mounted = true;
    const pool = join(mnt, 'pool');
    run('btrfs', ['subvolume', 'create', pool]);
    let t = Date.now();
    const prng = new Prng(`wyng-bench/${o.seed}`);
    const vol = buildImage(join(pool, VOLUME), { size, seed: o.seed }, prng, new TextSource(prng));
    const genSeconds = (Date.now() - t) / 1000;

    mkdirSync(o.out, { recursive: true });
    const ctx = { wyng: o.wyng, archive: join(o.out, 'archive'), metaDir: join(work, 'meta'), passFile: join(work, 'pass') };
    mkdirSync(ctx.metaDir);
    writeFileSync(ctx.passFile, `${o.passphrase}\n`, { mode: 0o600 });
    const wyng = (...a) => run(WYNG_PYTHON, wyngArgs(ctx, ...a), { env: { ...process.env, TMPDIR: work } });
    t = Date.now();
    wyng('arch-init');
    wyng(`--local=${pool}`, 'add', VOLUME);
    wyng(`--local=${pool}`, 'send', VOLUME);
    const sendSeconds = (Date.now() - t) / 1000;
    const listed = JSON.parse(wyng('list', '--json').replace(/^[^{]*/, ''));
    const sessions = Object.keys(listed.volumes[VOLUME].sessions).map((s) => s.replace(/^S_/, ''));
    writeFileSync(join(o.out, 'manifest.json'), `${JSON.stringify({
      kind: 'wyng', backup_file: 'archive', passphrase: o.passphrase, volume: VOLUME, qube: 'bench', session: sessions.at(-1),
      wyng_version: `${listed.wversion} (${listed.wdate})`, options: { ...o, out: undefined, wyng: undefined },
      source: { size: vol.size, sha256: vol.sha256, regions: vol.regions },
      seconds: { generate: genSeconds, wyng_send: sendSeconds },
    }, null, 1)}\n`);
  } finally {
    if (mounted) spawnSync('umount', [mnt]);
    rmSync(work, { recursive: true, force: true });
  }
}

// Imported by lib/wyng.mjs for wyngArgs; run as a script by lib/cases.mjs.
if (fileURLToPath(import.meta.url) === resolve(process.argv[1] ?? '')) main();
