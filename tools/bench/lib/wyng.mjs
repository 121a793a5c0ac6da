// Case g: a Wyng archive restored by ours (`extract ARCHIVE`) and by Wyng itself (`receive VOLUME --save-to`)
// in the same run, each output's sha256 checked against the volume that was sent.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WYNG_PYTHON, wyngArgs } from './make-wyng-archive.mjs';
import { measureReads, restoreRun, rotate, sha256File } from './run.mjs';

const MiB = 2 ** 20;

/** Where Wyng is: QUBES_BENCH_WYNG (src/wyng of tasket/wyng-backup, fetched by the person running the bench). */
export function wyngPath() {
  const p = process.env.QUBES_BENCH_WYNG;
  return p && existsSync(p) ? p : null;
}

/**
 * Runs case g into `res`: `runs` rounds of ours and `wyng receive --save-to` (order rotated), every output
 * hashed and compared with the source volume; one sampled run of ours (whole-tree RSS and PSS); one strace
 * run of each for the bytes read from the archive. Wyng gets a fresh, empty metadata folder (`--meta-dir`)
 * and no agent (`--authmin=0`) on every run, so like ours it reads the archive's metadata and derives its keys
 * each time; the folder lies next to its output, so the bench counts it as Wyng's temporary disk.
 */
export async function runWyngCase({ b, res, runs, scratch, cli, log, noteFail }) {
  const archive = b.backup;
  const m = b.manifest;
  const { QUBES_BACKUP_PASSPHRASE: _q, ...clean } = process.env;
  const oursEnv = { ...clean, QUBES_BACKUP_PASSPHRASE: m.passphrase };
  const passFile = join(scratch, 'wyng-pass');
  writeFileSync(passFile, `${m.passphrase}\n`, { mode: 0o600 });
  // Wyng's arguments for a run into `dest`; its metadata folder, empty and made here, lies beside `dest`.
  const receive = (dest) => {
    const metaDir = join(dest, '..', 'wyng-meta');
    mkdirSync(metaDir, { recursive: true });
    return wyngArgs({ wyng: wyngPath(), archive, metaDir, passFile }, 'receive', m.volume, `--save-to=${join(dest, 'volume.img')}`);
  };
  const who = {
    ours: { label: 'ours', file: (dest) => join(dest, m.qube, 'private.img'),
      run: (opts) => restoreRun(process.execPath, (dest) => [cli, 'extract', archive, '--dest', dest, '--no-progress'],
        { scratch, env: oursEnv, prefix: 'ours', ...opts }) },
    wyng: { label: 'wyng receive', file: (dest) => join(dest, 'volume.img'),
      run: (opts) => restoreRun(WYNG_PYTHON, receive, { scratch, env: clean, prefix: 'wyng', cwdIsDest: true, ...opts }) },
  };
  const check = { compared: 0, failures: [] };
  const inspect = (k) => async (dest) => {
    check.compared++;
    const got = sha256File(who[k].file(dest));
    if (got !== m.source.sha256) {
      const msg = `${who[k].label} output's sha256 ${got} ≠ the source volume's ${m.source.sha256}`;
      check.failures.push(msg);
      res.errors.push(msg);
      log(`  ${msg}`);
    }
  };

  res.ours = [];
  const data = m.source.regions.filter(([kind]) => kind !== 'hole').reduce((sum, [, len]) => sum + len, 0);
  res.wyng = { receive: [], version: m.wyng_version, check, source: { size: m.source.size, data } };
  const store = { ours: res.ours, wyng: res.wyng.receive };
  for (let i = 0; i < runs; i++) {
    for (const k of rotate(['ours', 'wyng'], i)) {
      const r = await who[k].run({ inspect: inspect(k) });
      if (r.code !== 0) noteFail(who[k].label, r);
      store[k].push(r);
      log(`  ${who[k].label.padEnd(12)} run ${i + 1}: ${r.wall.toFixed(1)} s (user ${r.user} s, sys ${r.sys} s), RSS ${(r.rss / MiB).toFixed(0)} MiB, ` +
        `output ${(r.out.allocated / MiB).toFixed(0)} MiB on disk${r.code ? ` (exit ${r.code})` : ''}`);
    }
  }

  // A separate run: sampling /proc costs CPU that the timed runs should not pay.
  const r = await who.ours.run({ sample: { kdfSizes: res.meta.kdfSizes } });
  if (r.code !== 0) noteFail('ours extract (memory sampling)', r);
  res.profile = r;
  log(`  ours sampled run: peak RSS ${(r.rss / MiB).toFixed(0)} MiB (GNU time), beyond scrypt ${(r.memory.beyondScrypt / MiB).toFixed(0)} MiB, ` +
    `whole tree ${(r.memory.tree / MiB).toFixed(0)} MiB (PSS ${(r.memory.treePss / MiB).toFixed(0)} MiB), ${r.memory.samples} samples`);

  const readsDir = join(scratch, 'wyng-reads');
  mkdirSync(join(readsDir, 'wyng'), { recursive: true });
  const reads = async (label, cmd, args, opts) => {
    const x = await measureReads(cmd, args, archive, opts);
    if (x.code !== 0) noteFail(`${label} (strace)`, x);
    log(`  ${label}: read ${x.fileBytes} B of the archive in ${x.calls} calls`);
    return x;
  };
  res.wyng.reads = {
    ours: await reads('ours extract', process.execPath, [cli, 'extract', archive, '--dest', join(readsDir, 'ours'), '--no-progress'], { env: oursEnv }),
    wyng: await reads('wyng receive', WYNG_PYTHON, receive(join(readsDir, 'wyng')), { env: clean }),
  };
  rmSync(readsDir, { recursive: true, force: true });
}
