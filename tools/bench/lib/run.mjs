// Measuring processes from outside: wall time, peak RSS (GNU time), bytes read (strace + /proc/<pid>/io),
// and files that appear where they should not (polling).
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sampleMemory } from './memory.mjs';

let scratchForTime = null;
/** Where GNU time writes its reports: outside every directory the bench watches. */
export function setTimeScratch(dir) { scratchForTime = dir; }

function collect(stream, limit = 64 * 1024) {
  const parts = [];
  let n = 0;
  stream?.on('data', (d) => { if (n < limit) { parts.push(d); n += d.length; } });
  return () => Buffer.concat(parts).toString('utf8');
}

function exec(cmd, args, { env, cwd, input, stdout = false, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: env ?? process.env, cwd,
      stdio: [input === undefined ? 'ignore' : 'pipe', stdout ? 'pipe' : 'ignore', 'pipe'],
    });
    onSpawn?.(child);
    const out = collect(child.stdout, 1 << 20);
    const err = collect(child.stderr);
    if (input !== undefined) child.stdin.end(input);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout: out(), stderr: err() }));
  });
}

/**
 * Runs one command under `/usr/bin/time -v`: wall seconds, peak RSS in bytes ("Maximum resident set size";
 * for `bash -c 'a | b | c'` it is the largest of the pipeline's processes, as wait4 folds reaped children in),
 * user and system CPU seconds (of the command and all its children). `onSpawn(child)` gets the time process
 * (to sample its descendants).
 */
export async function timed(cmd, args, opts = {}) {
  const dir = mkdtempSync(join(scratchForTime, 'time-'));
  const report = join(dir, 'time.txt');
  const t0 = performance.now();
  const r = await exec('/usr/bin/time', ['-v', '-o', report, cmd, ...args], opts);
  const wall = (performance.now() - t0) / 1000;
  const text = existsSync(report) ? readFileSync(report, 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  const cpu = (what) => { const m = new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(text); return m ? Number(m[1]) : null; };
  return { ...r, wall, rss: rss ? Number(rss[1]) * 1024 : null, user: cpu('User'), sys: cpu('System') };
}

/** Sums a list of timed steps: wall and CPU add up, peak RSS is the largest step. */
export function combine(steps) {
  return {
    wall: steps.reduce((s, x) => s + x.wall, 0),
    user: steps.reduce((s, x) => s + (x.user ?? 0), 0),
    sys: steps.reduce((s, x) => s + (x.sys ?? 0), 0),
    rss: Math.max(0, ...steps.map((x) => x.rss ?? 0)),
    steps: steps.length,
  };
}

const READ_CALLS = 'read,pread64,readv,preadv,preadv2';

/**
 * Bytes a command reads, two ways: strace's return values of read-family calls on `file` (exact, per file;
 * a folder counts every file under it, as for a Borg repository),
 * and the kernel's `rchar` of the whole process tree (everything read(): includes node loading its modules).
 * rchar comes from the wrapping shell's /proc/$$/io after it reaped the command (Linux folds reaped
 * children's I/O counters into the parent). io_uring is switched off so every read is a visible syscall.
 */
export async function measureReads(cmd, args, file, { env, cwd } = {}) {
  const dir = mkdtempSync(join(scratchForTime, 'io-'));
  const trace = join(dir, 'strace.txt');
  const io = join(dir, 'io.txt');
  const script = 'strace -f -qq -e trace=' + READ_CALLS + ' -e signal=none -y -s 0 -o "$BENCH_TRACE" "$@" >/dev/null; ' +
    'rc=$?; cat /proc/$$/io > "$BENCH_IO"; exit $rc';
  const r = await exec('sh', ['-c', script, 'sh', cmd, ...args], {
    cwd, env: { ...(env ?? process.env), BENCH_TRACE: trace, BENCH_IO: io, UV_USE_IO_URING: '0' },
  });
  const rchar = Number(/rchar: (\d+)/.exec(readFileSync(io, 'utf8'))?.[1] ?? NaN);
  const { fileBytes, allBytes, calls } = parseStrace(readFileSync(trace, 'utf8'), file);
  rmSync(dir, { recursive: true, force: true });
  return { code: r.code, stderr: r.stderr, rchar, fileBytes, allBytes, calls };
}

/**
 * Bytes of `file` a command reads from storage: the page cache is emptied first (root: /proc/sys/vm/drop_caches),
 * then `fincore` counts the file's pages the run brought in (kernel read-ahead included). This is what a slow
 * disk or USB stick feels: bytes read again from the page cache (format 4 reads a chunk twice) cost no I/O.
 * Null where the cache cannot be emptied or fincore is missing. Leaves the cache cold for the file: warm it again.
 */
export async function measureStorageReads(cmd, args, file, { env, cwd } = {}) {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    const resident = () => Number(execFileSync('fincore', ['-b', '-n', '-o', 'RES', file], { encoding: 'utf8' }).trim());
    if (resident() > 1 << 20) return null; // not emptied (another mount namespace, a file system that ignores it)
    const r = await exec(cmd, args, { cwd, env: env ?? process.env });
    return { code: r.code, storageBytes: resident() };
  } catch {
    return null;
  }
}

function parseStrace(text, file) {
  const pending = new Map();
  let fileBytes = 0;
  let allBytes = 0;
  let calls = 0;
  const start = /^(\d+)\s+(?:read|pread64|readv|preadv|preadv2)\(\d+<(.*?)>,/;
  const done = /\)\s+=\s+(-?\d+)/;
  for (const line of text.split('\n')) {
    let pid;
    let path;
    let m = start.exec(line);
    if (m) {
      [, pid, path] = m;
      if (line.includes('<unfinished ...>')) { pending.set(pid, path); continue; }
    } else if ((m = /^(\d+)\s+<\.\.\. \w+ resumed>/.exec(line))) {
      pid = m[1];
      path = pending.get(pid);
      pending.delete(pid);
      if (path === undefined) continue;
    } else {
      continue;
    }
    const ret = done.exec(line);
    const n = ret ? Number(ret[1]) : 0;
    if (n <= 0) continue;
    allBytes += n;
    if (path === file || path.startsWith(`${file}/`)) { fileBytes += n; calls++; }
  }
  return { fileBytes, allBytes, calls };
}

function walk(dir, rel = '', out = new Map()) {
  let names;
  try { names = readdirSync(join(dir, rel)); } catch { return out; }
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    try {
      const st = lstatSync(join(dir, r));
      out.set(r, st.blocks * 512);
      if (st.isDirectory()) walk(dir, r, out);
    } catch { /* vanished between readdir and lstat: still seen */ out.set(r, 0); }
  }
  return out;
}

/**
 * Polls directories while a command runs. `extra` dirs must stay empty (TMPDIR, the dest's parent except
 * `keep`). Inside `dest`, temporary files renamed into place are fine, so what counts there is how far the
 * allocated total rose above its final value. Returns `stop()` → { extraneous: [[path, bytes]],
 * vanished: [[path, bytes]] (seen in dest mid-run, gone at the end), peakExtraBytes }.
 */
export function watchDirs({ extra, keep, dest, intervalMs = 150 }) {
  const extraneous = new Map();
  const seenInDest = new Map();
  let peakOutside = 0;
  let peakDest = 0;
  const sum = (m) => { let s = 0; for (const b of m.values()) s += b; return s; };
  const tick = () => {
    let bytes = 0;
    for (const d of extra) {
      for (const [p, b] of walk(d)) {
        if (keep.has(join(d, p.split('/')[0]))) continue;
        extraneous.set(join(d, p), Math.max(b, extraneous.get(join(d, p)) ?? 0));
        bytes += b;
      }
    }
    const now = walk(dest);
    for (const [p, b] of now) seenInDest.set(p, Math.max(b, seenInDest.get(p) ?? 0));
    peakDest = Math.max(peakDest, sum(now));
    peakOutside = Math.max(peakOutside, bytes);
  };
  const timer = setInterval(tick, intervalMs);
  tick();
  return {
    stop() {
      clearInterval(timer);
      tick();
      const final = walk(dest);
      const vanished = [...seenInDest].filter(([p]) => !final.has(p));
      const insideExtra = Math.max(0, peakDest - sum(final));
      return { extraneous: [...extraneous], vanished, peakExtraBytes: peakOutside + insideExtra };
    },
  };
}

/** Allocated and apparent bytes under a directory (`du -s -B1`, `du -s -B1 --apparent-size`). */
export function duBytes(dir) {
  const du = (extra) => Number(execFileSync('du', ['-s', '-B1', ...extra, dir], { encoding: 'utf8' }).split('\t')[0]);
  return { allocated: du([]), apparent: du(['--apparent-size']) };
}

/** Reads a file, or every file under a folder, once, so that timed runs start from a warm page cache. */
export async function warmPageCache(path) {
  if (lstatSync(path).isDirectory()) {
    for (const name of readdirSync(path)) await warmPageCache(join(path, name));
    return;
  }
  if (!lstatSync(path).isFile()) return;
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), new Writable({ write(_c, _e, cb) { cb(); } }));
}

/**
 * One timed restore into a fresh folder `<scratch>/<prefix>-XXXX/out`: `args(dest)` gives the command's
 * arguments. It runs in the destination's parent (with `cwdIsDest`, in the destination itself, created
 * first: `borg extract` writes into its working directory), with TMPDIR an empty folder; both are watched
 * (watchDirs). With `sample`, /proc is polled during the run (sampleMemory; `sample.kdfSizes`). Returns
 * timed()'s result plus `temp` (the watcher's), `out` (duBytes of the destination) and `seen`, what
 * `inspect(dest)` returned (run only on success), before the folders are removed.
 */
export async function restoreRun(cmd, args, { scratch, env, prefix = 'run', cwdIsDest = false, sample = null, inspect = null }) {
  const base = mkdtempSync(join(scratch, `${prefix}-`));
  const tmpdir = mkdtempSync(join(scratch, 'tmpdir-'));
  const dest = join(base, 'out');
  if (cwdIsDest) mkdirSync(dest);
  const watch = watchDirs({ extra: [base, tmpdir], keep: new Set([dest]), dest });
  let sampler;
  let temp;
  try {
    const r = await timed(cmd, args(dest), {
      cwd: cwdIsDest ? dest : base, env: { ...(env ?? process.env), TMPDIR: tmpdir },
      ...(sample ? { onSpawn: (child) => { sampler = sampleMemory(child.pid, sample.kdfSizes ?? []); } } : {}),
    });
    if (sampler) r.memory = sampler.stop();
    temp = watch.stop();
    const out = existsSync(dest) ? duBytes(dest) : { allocated: 0, apparent: 0 };
    const seen = inspect && r.code === 0 ? await inspect(dest) : undefined;
    return { ...r, temp, out, seen };
  } finally {
    if (!temp) watch.stop();
    rmSync(base, { recursive: true, force: true });
    rmSync(tmpdir, { recursive: true, force: true });
  }
}

export function uptime() {
  try { return execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/\s+/g, ' '); } catch { return 'uptime n/a'; }
}

export function loadavg1() {
  return Number(/load average: ([\d.]+)/.exec(uptime())?.[1] ?? NaN);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The order of the tools in round `i`: rotated each round, so none always runs first (cold) or last. */
export const rotate = (xs, i) => xs.map((_, k) => xs[(k + i) % xs.length]);

/** A restored file's sha256, read in 4 MiB pieces (outputs are compared with what was backed up). */
export function sha256File(path) {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 * 2 ** 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}
