#!/usr/bin/env node
// The bench's Borg repository: a deterministic source tree of mixed data (seeded), stored with Debian's
// borg (`borg init -e <encryption>`, `borg create --compression <c>`). Run by lib/cases.mjs like
// make-qubes-backup: `node make-borg-repo.mjs [options] --name ARCHIVE --out DIR` writes DIR/repo/ and
// DIR/manifest.json (passphrase, archive, borg's own stats, and every source entry: type, mode, size,
// sha256, mtime, link target). The source tree is deleted afterwards; the manifest is what a restore
// must reproduce. The same arguments give the same tree bit for bit (not the same repository: borg
// picks a fresh key, ids and nonces on every init).
//
// The tree (sizes at --scale 1):
//   data/vm/disk.img   --image-mib (512) MiB, like a VM disk image: holes, random regions, repetitive
//                      regions (a short pattern repeated, and earlier random regions copied again, which
//                      borg deduplicates), and text; regions of 1-16 units (1 MiB at 512 MiB)
//   data/files/dNN/    --files-mib (448) MiB of text, random and half-and-half files, sizes log-uniform
//                      from 1 KiB to --max-file-mib (50) MiB, the largest size always present once
//   data/small/dNN/    --small-files (3000) files of 0 B-16 KiB (mostly text), 50 per folder, a few
//                      symlinks; modes 0644/0600/0755, folders 0755/0700, fixed mtimes
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, lutimesSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../../make-fixture/lib/prng.mjs';
import { TextSource, buildImage, fill } from './mixed-data.mjs';

const MiB = 2 ** 20;
const KiB = 1024;
const T0 = 1704164645; // 2024-01-02T03:04:05Z: the first entry's mtime, each next one a minute later

function parseArgs(argv) {
  const o = {
    seed: '1', imageMib: 512, filesMib: 448, maxFileMib: 50, smallFiles: 3000, encryption: 'repokey',
    compression: 'lz4', passphrase: 'borg-bench', name: 'bench', out: null,
  };
  const num = (s) => { const n = Number(s); if (!(n >= 0)) throw new Error(`not a number: ${s}`); return n; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--seed') o.seed = v();
    else if (a === '--image-mib') o.imageMib = num(v());
    else if (a === '--files-mib') o.filesMib = num(v());
    else if (a === '--max-file-mib') o.maxFileMib = num(v());
    else if (a === '--small-files') o.smallFiles = Math.round(num(v()));
    else if (a === '--encryption') o.encryption = v();
    else if (a === '--compression') o.compression = v();
    else if (a === '--passphrase') o.passphrase = v();
    else if (a === '--name') o.name = v();
    else if (a === '--out') o.out = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.out) throw new Error('--out DIR is required');
  return o;
}

/** Log-uniform size in [lo, hi]. */
const logUniform = (prng, lo, hi) => Math.round(Math.exp(Math.log(lo) + (prng.next() / 2 ** 32) * (Math.log(hi) - Math.log(lo))));

function writeFile(path, size, kind, mode, o, prng, text, label) {
  const fd = openSync(path, 'w', 0o600);
  const hash = createHash('sha256');
  if (size) fill(fd, hash, 0, size, kind, { text, seed: o.seed, label, prng });
  closeSync(fd);
  chmodSync(path, mode);
  return hash.digest('hex');
}

function buildTree(root, o) {
  const prng = new Prng(`borg-bench/${o.seed}`);
  const text = new TextSource(prng);
  const entries = {}; // relative path -> { type, mode, size, sha256, target }
  const order = [];   // creation order, for mtimes (folders are stamped last, after their contents)
  const add = (rel, e) => { entries[rel] = e; order.push(rel); };
  const dir = (rel, mode = 0o755) => { mkdirSync(join(root, rel), { recursive: true }); add(rel, { type: 'dir', mode }); };

  dir('data'); dir('data/vm', 0o700);
  const img = buildImage(join(root, 'data/vm/disk.img'), { size: o.imageMib * MiB, seed: o.seed }, prng, text);
  add('data/vm/disk.img', { type: 'file', mode: 0o600, size: img.size, sha256: img.sha256 });

  dir('data/files');
  const budget = Math.round(o.filesMib * MiB);
  const maxSize = Math.max(KiB, Math.min(Math.round(o.maxFileMib * MiB), budget));
  const kinds = ['text', 'text', 'text', 'random', 'random', 'random', 'mixed'];
  let used = 0;
  for (let i = 0; used < budget; i++) {
    const size = Math.min(budget - used, i === 0 ? maxSize : logUniform(prng, KiB, maxSize));
    const d = `data/files/d${String(Math.floor(i / 20)).padStart(2, '0')}`;
    if (!entries[d]) dir(d);
    const kind = kinds[prng.int(kinds.length)];
    const ext = { text: 'log', random: 'bin', mixed: 'dat' }[kind];
    const rel = `${d}/f${String(i).padStart(4, '0')}.${ext}`;
    const mode = prng.int(10) ? 0o644 : 0o600;
    add(rel, { type: 'file', mode, size, sha256: writeFile(join(root, rel), size, kind, mode, o, prng, text, rel) });
    used += size;
  }

  dir('data/small');
  for (let i = 0; i < o.smallFiles; i++) {
    const d = `data/small/d${String(Math.floor(i / 50)).padStart(3, '0')}`;
    if (!entries[d]) dir(d, prng.int(10) ? 0o755 : 0o700);
    const rel = `${d}/s${String(i).padStart(5, '0')}${prng.int(5) ? '.txt' : '.bin'}`;
    const prev = order.at(-1);
    if (i % 97 === 50 && entries[prev].type === 'file') { // now and then a symlink to the previous file
      const target = prev.slice(prev.lastIndexOf('/') + 1);
      symlinkSync(target, join(root, rel));
      add(rel, { type: 'symlink', target });
      continue;
    }
    const size = prng.int(40) === 0 ? 0 : logUniform(prng, 64, 16 * KiB);
    const kind = rel.endsWith('.txt') ? 'text' : 'random';
    const mode = [0o644, 0o644, 0o644, 0o600, 0o755][prng.int(5)];
    add(rel, { type: 'file', mode, size, sha256: writeFile(join(root, rel), size, kind, mode, o, prng, text, rel) });
  }

  // Fixed modes and mtimes, deepest entries first so a folder's mtime is not changed afterwards.
  const byDepth = [...order].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
  for (const rel of byDepth) {
    const e = entries[rel];
    const t = T0 + 60 * order.indexOf(rel);
    e.mtime_ns = String(BigInt(t) * 1000000000n);
    if (e.type === 'symlink') lutimesSync(join(root, rel), t, t);
    else { if (e.type === 'dir') chmodSync(join(root, rel), e.mode); utimesSync(join(root, rel), t, t); }
  }
  return { entries, image: img.regions };
}

function borg(args, env, cwd) {
  const r = spawnSync('borg', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`borg ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'borg-bench-'));
  try {
    const src = join(work, 'src');
    mkdirSync(src);
    let t = Date.now();
    const tree = buildTree(src, o);
    const genSeconds = (Date.now() - t) / 1000;
    const env = { ...process.env, BORG_PASSPHRASE: o.passphrase, BORG_BASE_DIR: join(work, 'borg-base') };
    mkdirSync(o.out, { recursive: true });
    const repo = join(o.out, 'repo');
    t = Date.now();
    borg(['init', '-e', o.encryption, repo], env);
    borg(['create', '--compression', o.compression, `${repo}::${o.name}`, 'data'], env, src);
    const createSeconds = (Date.now() - t) / 1000;
    const info = JSON.parse(borg(['info', '--json', `${repo}::${o.name}`], env));
    const stats = info.archives[0].stats;
    const files = Object.values(tree.entries).filter((e) => e.type === 'file');
    writeFileSync(join(o.out, 'manifest.json'), `${JSON.stringify({
      kind: 'borg', backup_file: 'repo', archive: o.name, passphrase: o.passphrase, encryption: o.encryption,
      compression: o.compression, borg_version: borg(['--version'], env).trim(), options: { ...o, out: undefined },
      source: { files: files.length, entries: Object.keys(tree.entries).length, bytes: files.reduce((s, e) => s + e.size, 0),
        image_regions: tree.image },
      borg_stats: stats, seconds: { generate: genSeconds, borg_create: createSeconds },
      tree: tree.entries,
    }, null, 1)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
