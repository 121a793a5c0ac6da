#!/usr/bin/env node
// Speed and memory of `qubes-backup extract`/`info` against the manual emergency-restore pipeline, on large
// backups built by the independent generator, against `borg extract` on a Borg repository built by
// Debian's borg, and against `wyng receive` on a Wyng archive sent by Wyng. Not run in CI; see tools/bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseList, checkTools, ensureBackup } from './lib/cases.mjs';
import { listMembers, scryptBytes, scryptParamsAt } from './lib/outer-tar.mjs';
import { manualV3, manualV4 } from './lib/manual.mjs';
import { combine, duBytes, measureReads, measureStorageReads, median, restoreRun, setTimeScratch, timed, uptime, warmPageCache } from './lib/run.mjs';
import { mib, renderMarkdown } from './lib/report.mjs';
import { runBorgCase } from './lib/borg.mjs';
import { runWyngCase, wyngPath } from './lib/wyng.mjs';

const USAGE = `usage: node tools/bench/bench.mjs [--quick] [--runs N] [--only NAME[,NAME]] [options]
  --quick          skip the large memory cases (e, e2, g2)
  --runs N         timed runs per measurement, median reported (default 3; memory cases run min(N, 2))
  --only NAMES     cases to run: a b c k d e e2 f g g2 (comma list, repeatable; k is KDF-bound; f is the Borg repository,
                   g and g2 the Wyng archives: they need root and QUBES_BENCH_WYNG=<path of src/wyng>)
  --scale X        shrink every backup by X (development only; results are not comparable)
  --no-build       do not run 'npm run build' first
  --no-write       print the table only, do not write tools/bench/results/<date>.md
  --cache DIR      backup cache (default \${XDG_CACHE_HOME:-~/.cache}/qubes-backup-bench)
  --generator P    make-qubes-backup (default /work/shared/fixtures/make-qubes-backup, or ../shared/fixtures/)`;

const root = fileURLToPath(new URL('../..', import.meta.url));

function parseArgs(argv) {
  const o = { quick: false, runs: 3, only: [], scale: 1, build: true, write: true, cache: null, generator: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Math.max(1, parseInt(val(), 10) || 1);
    else if (a === '--only') o.only.push(...val().split(',').filter(Boolean));
    else if (a === '--scale') o.scale = Number(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-write') o.write = false;
    else if (a === '--cache') o.cache = val();
    else if (a === '--generator') o.generator = val();
    else if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); }
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function usage(msg) {
  process.stderr.write(`bench: ${msg}\n${USAGE}\n`);
  process.exit(1);
}

const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function findGenerator(given) {
  const candidates = [given, process.env.QUBES_BENCH_GENERATOR, '/work/shared/fixtures/make-qubes-backup',
    join(root, '..', 'shared', 'fixtures', 'make-qubes-backup')].filter(Boolean);
  const g = candidates.find((p) => existsSync(p));
  if (!g) usage(`make-qubes-backup not found (tried ${candidates.join(', ')}); pass --generator`);
  return g;
}

/** What the bench knows about a backup from its own reading: members, scrypt cost, KDF count. */
function inspect(b) {
  const { size, members } = listMembers(b.backup);
  const enc = members.filter((m) => m.name.endsWith('.enc') || m.name === 'backup-header.hmac');
  const v4 = b.manifest.format_version === 4;
  const params = v4 ? enc.map((m) => scryptParamsAt(b.backup, m.dataOffset)).filter(Boolean) : [];
  const logNs = [...new Set(params.map((p) => p.logN))].sort((x, y) => x - y);
  const kdfSizes = [...new Set(params.map(scryptBytes))];
  const kdfBytes = params.length ? Math.max(...kdfSizes) : 0;
  const byName = new Map(members.map((m) => [m.name, m]));
  return { size, members, byName, kdfs: v4 ? params.length : 0, logNs, kdfBytes, kdfSizes, r: params[0]?.r, p: params[0]?.p };
}

/** A Borg repository: its apparent size; no scrypt (borg derives its key with PBKDF2). */
function inspectRepo(b) {
  return { size: duBytes(b.backup).apparent, kdfs: 0, logNs: [], kdfBytes: 0, kdfSizes: [] };
}

/** A Wyng archive: its apparent size; two scrypt derivations (N 2^19, r 8, p 1: the metadata and the data key). */
function inspectWyng(b) {
  const kdf = 128 * 2 ** 19 * 8;
  return { size: duBytes(b.backup).apparent, kdfs: 2, logNs: [19], r: 8, p: 1, kdfBytes: kdf, kdfSizes: [kdf] };
}

/** Members one qube's restore must read: its chunks plus the header, its MAC and qubes.xml (with .hmac in v3). */
function neededBytes(b, meta, vm) {
  const span = (m) => m.dataEnd - m.start;
  const pick = (names) => names.map((n) => meta.byName.get(n)).filter(Boolean);
  const vmNames = b.manifest.archives.filter((a) => a.vm === vm).flatMap((a) => a.chunks);
  const metaNames = ['backup-header', 'backup-header.hmac',
    ...b.manifest.archives.filter((a) => a.vm === null).flatMap((a) => a.chunks)];
  const vmBytes = pick(vmNames).reduce((s, m) => s + span(m), 0);
  const metaBytes = pick(metaNames).reduce((s, m) => s + span(m), 0);
  return { vmBytes, metaBytes, needed: vmBytes + metaBytes, vmMembers: vmNames.length };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let cases = caseList(o.scale).filter((c) => !(o.quick && c.large));
  if (o.only.length) {
    const unknown = o.only.filter((n) => !caseList().some((c) => c.name === n));
    if (unknown.length) usage(`unknown case(s): ${unknown.join(', ')}`);
    cases = cases.filter((c) => o.only.includes(c.name));
  }
  // Wyng is GPL and not ours to ship: the person running the bench fetches it and says where it is.
  const wyngMissing = !wyngPath() ? 'QUBES_BENCH_WYNG does not name src/wyng of tasket/wyng-backup' :
    process.getuid?.() !== 0 ? 'Wyng and its btrfs loop mount need root' : null;
  if (wyngMissing && cases.some((c) => c.wyng)) {
    if (o.only.length) usage(`case(s) ${cases.filter((c) => c.wyng).map((c) => c.name).join(', ')}: ${wyngMissing}`);
    log(`skipping the Wyng cases: ${wyngMissing}`);
    cases = cases.filter((c) => !c.wyng);
  }

  checkTools(cases, log);
  // make-qubes-backup builds the Qubes cases; the Borg and Wyng cases bring their own generators.
  const generator = cases.some((c) => !c.generator) ? findGenerator(o.generator) : null;
  const cacheRoot = o.cache ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qubes-backup-bench');
  const scratch = join(cacheRoot, 'scratch', `run-${process.pid}`);
  mkdirSync(join(scratch, 'time'), { recursive: true });
  setTimeScratch(join(scratch, 'time'));
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

  let buildFailed = false;
  if (o.build) {
    log('npm run build');
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    // Others may be mid-edit: measure the dist that is there rather than nothing, and say so.
    if (r.status !== 0) log('npm run build failed: measuring the existing dist/ builds');
    buildFailed = r.status !== 0;
  }
  const cli = join(root, 'packages', 'cli', 'bin', 'qubes-backup.js');
  const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const env = {
    started: new Date(), commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'packages').length > 0,
    node: process.version, cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, runs: o.runs, quick: o.quick, scale: o.scale,
    cacheRoot, generator, buildFailed,
  };

  const results = [];
  for (const c of cases) {
    const b = ensureBackup(c, { generator, cacheRoot, log });
    const meta = c.borg ? inspectRepo(b) : c.wyng ? inspectWyng(b) : inspect(b);
    const passphrase = b.manifest.passphrase;
    await warmPageCache(b.backup);
    const res = { c, backup: b.backup, size: meta.size, version: c.borg ? 'borg' : c.wyng ? 'wyng' : b.manifest.format_version, meta, load: [uptime()], errors: [] };
    results.push(res);
    log(`case ${c.name}: ${c.title}, ${(meta.size / 2 ** 30).toFixed(2)} GiB, ${meta.kdfs} KDFs; ${res.load[0]}`);
    const oursEnv = { ...process.env, QUBES_BACKUP_PASSPHRASE: passphrase };

    // With `sample`, /proc is polled during the run to split its peak RSS into scrypt's and the rest.
    const oursExtract = (extra = [], { sample = false } = {}) => restoreRun(process.execPath,
      (dest) => [cli, 'extract', b.backup, '--dest', dest, '--no-progress', ...extra],
      { scratch, env: oursEnv, prefix: 'ours', sample: sample ? { kdfSizes: meta.kdfSizes } : null });
    const theirs = async () => {
      const work = mkdtempSync(join(scratch, 'manual-'));
      try {
        const steps = await (res.version === 3 ? manualV3 : manualV4)({ backup: b.backup, manifest: b.manifest, passphrase, work });
        const all = duBytes(work);
        const out = duBytes(join(work, 'restored'));
        return { ...combine(steps), code: 0, temp: all.allocated - out.allocated, out };
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    };
    const noteFail = (what, r) => {
      const msg = `${what}: exit ${r.code}: ${(r.stderr || '').trim().split('\n').pop()}`;
      if (!res.errors.includes(msg)) res.errors.push(msg);
      log(msg);
    };

    if (c.borg) await runBorgCase({ b, res, runs: o.runs, scratch, cli, log, noteFail });
    if (c.wyng) await runWyngCase({ b, res, runs: c.large ? Math.min(o.runs, 2) : o.runs, scratch, cli, log, noteFail });

    if (c.compare || c.memory) {
      const runs = c.memory ? Math.min(o.runs, 2) : o.runs;
      res.ours = [];
      res.theirs = [];
      for (let i = 0; i < runs; i++) {
        const order = c.compare ? (i % 2 ? ['theirs', 'ours'] : ['ours', 'theirs']) : ['ours'];
        for (const who of order) {
          if (who === 'ours') {
            const r = await oursExtract();
            if (r.code !== 0) noteFail('ours extract', r);
            res.ours.push(r);
            log(`  ours   run ${i + 1}: ${r.wall.toFixed(1)} s, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB${r.code ? ` (exit ${r.code})` : ''}`);
          } else {
            try {
              const r = await theirs();
              res.theirs.push(r);
              log(`  manual run ${i + 1}: ${r.wall.toFixed(1)} s in ${r.steps} steps, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB`);
            } catch (e) {
              res.errors.push(`manual: ${e.message}`);
              log(`  manual failed: ${e.message}`);
              break;
            }
          }
        }
      }
    }

    if (c.compare || c.memory) {
      // A separate run: sampling /proc costs CPU that the timed runs should not pay.
      const r = await oursExtract([], { sample: true });
      if (r.code !== 0) noteFail('ours extract (memory sampling)', r);
      res.profile = r;
      const m = r.memory;
      log(`  ours   sampled run: peak RSS ${mib(r.rss)} (sampled ${mib(m.total)}), beyond scrypt ${mib(m.beyondScrypt)}` +
        ` (+${mib(m.scryptAtPeak)} scrypt then), up to ${m.maxKdfs} derivation(s) resident, ${m.samples} samples`);
    }

    if (c.kdfFloor) {
      // The same number of derivations, back to back, with our scrypt: what no restore of this backup can beat.
      const params = [2 ** meta.logNs.at(-1), meta.r, meta.p].map(String);
      const floor = (engine, count) => timed(process.execPath, [join(root, 'tools/bench/lib/kdf-floor.mjs'), engine, ...params, String(count)], { stdout: true });
      res.floor = [];
      for (let i = 0; i < o.runs; i++) {
        const f = await floor('ours', meta.kdfs);
        if (f.code !== 0) noteFail('KDF floor', f);
        res.floor.push(f);
        log(`  KDF floor run ${i + 1}: ${meta.kdfs} derivations in ${f.wall.toFixed(1)} s (${f.stdout.trim()}), RSS ${(f.rss / 2 ** 20).toFixed(0)} MiB`);
      }
      // For reference: the same with node:crypto's scrypt, which allocates its memory anew each time.
      res.floorCrypto = [await floor('node-crypto', meta.kdfs)];
      log(`  KDF floor with node:crypto: ${res.floorCrypto[0].wall.toFixed(1)} s (${res.floorCrypto[0].stdout.trim()})`);
      // Two derivations back to back: what `info` (header and qubes.xml) cannot beat.
      res.floor2 = await floor('ours', 2);
    }

    if (c.info) {
      res.info = [];
      for (let i = 0; i < o.runs; i++) {
        const r = await timed(process.execPath, [cli, 'info', b.backup, '--no-progress'], { env: oursEnv });
        if (r.code !== 0) noteFail('ours info', r);
        res.info.push(r);
      }
      res.infoReads = await measureReads(process.execPath, [cli, 'info', b.backup, '--no-progress'], b.backup, { env: oursEnv });
      log(`  info: ${median(res.info.map((r) => r.wall)).toFixed(2)} s, read ${res.infoReads.fileBytes} B of the backup`);
    }

    if (c.selectVm) {
      const vmArgs = ['--vm', c.selectVm];
      res.select = { vm: c.selectVm, runs: [], ...neededBytes(b, meta, c.selectVm) };
      for (let i = 0; i < o.runs; i++) {
        const r = await oursExtract(vmArgs);
        if (r.code !== 0) noteFail(`ours extract --vm ${c.selectVm}`, r);
        res.select.runs.push(r);
      }
      const dest = join(mkdtempSync(join(scratch, 'reads-')), 'out');
      res.select.reads = await measureReads(process.execPath,
        [cli, 'extract', b.backup, '--dest', dest, '--no-progress', ...vmArgs], b.backup, { env: oursEnv });
      rmSync(dirname(dest), { recursive: true, force: true });
      const coldDest = join(mkdtempSync(join(scratch, 'cold-')), 'out');
      res.select.storage = await measureStorageReads(process.execPath,
        [cli, 'extract', b.backup, '--dest', coldDest, '--no-progress', ...vmArgs], b.backup, { env: oursEnv });
      rmSync(dirname(coldDest), { recursive: true, force: true });
      await warmPageCache(b.backup);
      log(`  extract --vm ${c.selectVm}: read ${res.select.reads.fileBytes} B (from storage, cold cache: ${res.select.storage?.storageBytes ?? 'not measured'}), needed ${res.select.needed} B`);
    }
    res.load.push(uptime());
  }

  const md = renderMarkdown(env, results);
  process.stdout.write(md);
  if (o.write) {
    const dir = join(root, 'tools', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const day = env.started.toISOString().slice(0, 10);
    let file = join(dir, `${day}.md`);
    for (let n = 2; existsSync(file); n++) file = join(dir, `${day}-${n}.md`);
    writeFileSync(file, md);
    log(`wrote ${file}`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
