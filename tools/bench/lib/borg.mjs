// Case f: a Borg repository restored by ours (`extract REPO::ARCHIVE`) and by `borg extract` itself (plain,
// and `--sparse`), in the same run, each output checked entry by entry against the other and the source.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { measureReads, restoreRun, rotate, sha256File, timed } from './run.mjs';

const MiB = 2 ** 20;

/**
 * Every entry under `dir` as the generator's manifest describes the source: relative path → { type, mode,
 * mtime_ns, size and sha256 (files), target (symlinks) }. Owners are not compared (the bench runs as root).
 */
export function treeDigest(dir, rel = '', out = {}) {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(dir, r);
    const st = lstatSync(p, { bigint: true });
    const e = { mode: Number(st.mode & 0o7777n), mtime_ns: String(st.mtimeNs) };
    if (st.isDirectory()) out[r] = { type: 'dir', ...e };
    else if (st.isSymbolicLink()) out[r] = { type: 'symlink', target: readlinkSync(p), ...e };
    else if (st.isFile()) out[r] = { type: 'file', ...e, size: Number(st.size), sha256: sha256File(p) };
    else out[r] = { type: 'other', ...e };
    if (st.isDirectory()) treeDigest(dir, r, out);
  }
  return out;
}

const FIELDS = ['type', 'size', 'sha256', 'target', 'mode', 'mtime_ns'];

/** Differences between two digests, as readable lines ("path: field a ≠ b", "path: missing"). */
export function compareTrees(want, got, { wantName = 'expected', gotName = 'got', max = 20 } = {}) {
  const diffs = [];
  for (const [p, w] of Object.entries(want)) {
    const g = got[p];
    if (!g) { diffs.push(`${p}: missing from ${gotName}`); continue; }
    const show = (f, v) => (f === 'mode' && typeof v === 'number' ? `0${v.toString(8)}` : v);
    for (const f of FIELDS) {
      if (w[f] !== undefined && String(w[f]) !== String(g[f])) diffs.push(`${p}: ${f} ${wantName} ${show(f, w[f])} ≠ ${gotName} ${show(f, g[f])}`);
    }
  }
  for (const p of Object.keys(got)) if (!want[p]) diffs.push(`${p}: only in ${gotName}`);
  return { count: diffs.length, first: diffs.slice(0, max) };
}

/**
 * Runs case f into `res`: `runs` rounds of ours, `borg extract` and `borg extract --sparse` (order rotated
 * each round), every output digested and compared; one sampled run of ours (memory split and whole-tree
 * RSS); one strace run of each for the bytes read from the repository; `borg list` as the reference for
 * `info` (ours' info is measured by the caller, as for the other cases).
 */
export async function runBorgCase({ b, res, runs, scratch, cli, log, noteFail }) {
  const repo = b.backup;
  const target = `${repo}::${b.manifest.archive}`;
  const pass = b.manifest.passphrase;
  const { BORG_PASSPHRASE: _b, QUBES_BACKUP_PASSPHRASE: _q, ...clean } = process.env;
  const oursEnv = { ...clean, QUBES_BACKUP_PASSPHRASE: pass };
  // A private BORG_BASE_DIR: borg keeps its security/ and cache/ records there, not in ~.
  const borgEnv = { ...clean, BORG_PASSPHRASE: pass, BORG_BASE_DIR: join(scratch, 'borg-base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
  const source = b.manifest.tree;

  const who = {
    ours: { label: 'ours', run: (opts) => restoreRun(process.execPath, (dest) => [cli, 'extract', target, '--dest', dest, '--no-progress'],
      { scratch, env: oursEnv, prefix: 'ours', ...opts }) },
    borg: { label: 'borg extract', run: (opts) => restoreRun('borg', () => ['extract', target],
      { scratch, env: borgEnv, prefix: 'borg', cwdIsDest: true, ...opts }) },
    borgSparse: { label: 'borg extract --sparse', run: (opts) => restoreRun('borg', () => ['extract', '--sparse', target],
      { scratch, env: borgEnv, prefix: 'borg', cwdIsDest: true, ...opts }) },
  };
  const check = { entries: Object.keys(source).length, compared: 0, failures: [] };
  let reference = null; // the first plain borg extract's digest
  const pending = [];   // outputs digested before the reference existed
  const fail = (msg) => { check.failures.push(msg); res.errors.push(msg); log(`  ${msg}`); };
  const judge = (name, digest) => {
    check.compared++;
    const vsSource = compareTrees(source, digest, { wantName: 'source', gotName: name });
    if (vsSource.count) fail(`${name} output differs from the source in ${vsSource.count} entries: ${vsSource.first.slice(0, 5).join('; ')}`);
    if (reference && name !== 'borg extract') {
      const vsBorg = compareTrees(reference, digest, { wantName: 'borg extract', gotName: name });
      if (vsBorg.count) fail(`${name} output differs from borg extract's in ${vsBorg.count} entries: ${vsBorg.first.slice(0, 5).join('; ')}`);
    }
  };
  const inspect = (name) => (dest) => {
    const d = treeDigest(dest);
    if (name === 'borg extract' && !reference) {
      reference = d;
      judge(name, d);
      for (const [n, x] of pending.splice(0)) judge(n, x);
    } else if (!reference) pending.push([name, d]);
    else judge(name, d);
  };

  res.ours = [];
  res.borg = { plain: [], sparse: [], source: b.manifest.source, stats: b.manifest.borg_stats, version: b.manifest.borg_version };
  const store = { ours: res.ours, borg: res.borg.plain, borgSparse: res.borg.sparse };
  for (let i = 0; i < runs; i++) {
    for (const k of rotate(['ours', 'borg', 'borgSparse'], i)) {
      const r = await who[k].run({ inspect: inspect(who[k].label) });
      if (r.code !== 0) noteFail(`${who[k].label}`, r);
      store[k].push(r);
      log(`  ${who[k].label.padEnd(21)} run ${i + 1}: ${r.wall.toFixed(1)} s (user ${r.user} s, sys ${r.sys} s), RSS ${(r.rss / MiB).toFixed(0)} MiB, ` +
        `output ${(r.out.allocated / MiB).toFixed(0)} MiB on disk${r.code ? ` (exit ${r.code})` : ''}`);
    }
  }
  for (const [n, d] of pending) { // no plain borg run succeeded: still check against the source
    check.compared++;
    const vs = compareTrees(source, d, { wantName: 'source', gotName: n });
    if (vs.count) fail(`${n} output differs from the source in ${vs.count} entries: ${vs.first.slice(0, 5).join('; ')}`);
  }
  if (!reference) fail('no borg extract output to compare with');
  res.borg.check = check;

  // A separate run: sampling /proc costs CPU that the timed runs should not pay.
  const r = await who.ours.run({ sample: { kdfSizes: [] } });
  if (r.code !== 0) noteFail('ours extract (memory sampling)', r);
  res.profile = r;
  log(`  ours sampled run: peak RSS ${(r.rss / MiB).toFixed(0)} MiB (GNU time), largest process sampled ${(r.memory.total / MiB).toFixed(0)} MiB, ` +
    `whole tree ${(r.memory.tree / MiB).toFixed(0)} MiB (PSS ${(r.memory.treePss / MiB).toFixed(0)} MiB), ${r.memory.samples} samples`);

  const readsDir = join(scratch, 'borg-reads');
  const reads = async (label, cmd, args, opts) => {
    const x = await measureReads(cmd, args, repo, opts);
    if (x.code !== 0) noteFail(`${label} (strace)`, x);
    log(`  ${label}: read ${x.fileBytes} B of the repository in ${x.calls} calls`);
    return x;
  };
  mkdirSync(join(readsDir, 'borg'), { recursive: true });
  res.borg.reads = {
    ours: await reads('ours extract', process.execPath, [cli, 'extract', target, '--dest', join(readsDir, 'ours'), '--no-progress'], { env: oursEnv }),
    borg: await reads('borg extract', 'borg', ['extract', target], { env: borgEnv, cwd: join(readsDir, 'borg') }),
  };
  rmSync(readsDir, { recursive: true, force: true });

  res.borg.list = [];
  for (let i = 0; i < runs; i++) {
    const x = await timed('borg', ['list', repo], { env: borgEnv });
    if (x.code !== 0) noteFail('borg list', x);
    res.borg.list.push(x);
  }
}
