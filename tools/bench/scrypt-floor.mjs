#!/usr/bin/env node
// The scrypt key derivation floor of a format-4 restore: one scrypt(N = 2^20, r = 8, p = 1, 64 bytes)
// per 100 MiB chunk. Times node's crypto.scrypt, cipher-scrypt's WebAssembly SIMD ROMix (ScryptWasm,
// one memory reused; on the main thread and in a worker_thread, as the node backend uses it): each
// engine in a child process of its own (peak RSS is per process), some derivations back to back in it.
// (hash-wasm's scrypt, which the page used before, measured 5.4-5.5 s per derivation here.)
//   node tools/bench/scrypt-floor.mjs                  # all engines, 3 derivations each, N = 2^20
//   node tools/bench/scrypt-floor.mjs --runs 1 --logn 14 --only wasm,node
// Needs packages/cipher-scrypt built (it runs `tsc -b packages/cipher-scrypt`, quick when up to date).
import { execFileSync, spawnSync } from 'node:child_process';
import { scrypt as nodeScrypt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = new URL('../../packages/cipher-scrypt/dist/scrypt-wasm.js', import.meta.url).href;
const ENGINES = ['node', 'wasm', 'wasm-worker'];

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? dflt : process.argv[i + 1]; };
const runs = Number(arg('runs', '3'));
const logN = Number(arg('logn', '20'));
const N = 2 ** logN, r = 8, p = 1, dkLen = 64;
const pass = new TextEncoder().encode('correct horse battery staple');
const salt = new Uint8Array(32).map((_, i) => i * 7 + 1);
const hex = (b) => Buffer.from(b).toString('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

if (!isMainThread) {
  // The worker of engine wasm-worker: one ScryptWasm for its life, a derivation per message.
  const { ScryptWasm } = await import(dist);
  const s = new ScryptWasm({ wipeV: workerData.wipeV });
  parentPort.on('message', () => {
    const t = performance.now();
    const dk = s.derive(pass, salt, N, r, p, dkLen);
    parentPort.postMessage({ dk, ms: performance.now() - t });
  });
} else if (process.argv.includes('--child')) {
  await child(arg('child'));
} else {
  await parent();
}

/** One engine, `runs` derivations; prints a JSON line. */
async function child(engine) {
  const times = [];
  const extra = [];
  let dk;
  const cpu0 = process.cpuUsage();
  if (engine === 'node') {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      dk = await new Promise((res, rej) => nodeScrypt(pass, salt, dkLen, { N, r, p, maxmem: 2 ** 31 }, (e, k) => e ? rej(e) : res(k)));
      times.push(performance.now() - t);
    }
  } else if (engine === 'wasm') {
    // V is wiped separately, to see what zeroing 128·N·r bytes costs; the derivation's time is both.
    const { ScryptWasm } = await import(dist);
    const s = new ScryptWasm({ wipeV: false });
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      dk = s.derive(pass, salt, N, r, p, dkLen);
      const t1 = performance.now();
      s.wipe();
      const t2 = performance.now();
      times.push(t2 - t);
      extra.push({ romixMs: +(t1 - t).toFixed(1), wipeVMs: +(t2 - t1).toFixed(1) });
    }
  } else if (engine === 'wasm-worker') {
    const w = new Worker(self, { workerData: { wipeV: true }, argv: process.argv.slice(2) });
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const { dk: k, ms } = await new Promise((res) => { w.once('message', res); w.postMessage(0); });
      dk = k;
      times.push(performance.now() - t);
      extra.push({ inWorkerMs: +ms.toFixed(1) });
    }
    await w.terminate();
  } else throw new Error(`unknown engine ${engine}`);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({
    engine, times: times.map((x) => +x.toFixed(1)), extra, userMs: cpu.user / 1000, sysMs: cpu.system / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024, dk: hex(dk),
  }) + '\n');
}

async function parent() {
  execFileSync('npx', ['tsc', '-b', 'packages/cipher-scrypt'], { cwd: root, stdio: 'inherit' });
  const only = arg('only', ENGINES.join(',')).split(',');
  const rows = [];
  for (const engine of only) {
    const out = spawnSync(process.execPath, [self, '--child', engine, '--runs', String(runs), '--logn', String(logN)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`${engine}: ${out.stderr}`);
    rows.push(JSON.parse(out.stdout.trim().split('\n').pop()));
  }
  const dks = new Set(rows.map((x) => x.dk));
  console.log(`scrypt N=2^${logN} r=${r} p=${p} dkLen=${dkLen}, ${runs} derivations per engine, one process each; keys ${dks.size === 1 ? 'agree' : 'DISAGREE'}\n`);
  console.log('| engine | per derivation (ms) | median (ms) | user CPU (ms) | sys CPU (ms) | peak RSS (MiB) | notes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const x of rows) {
    const notes = x.extra.map((e) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ')).join('; ');
    console.log(`| ${x.engine} | ${x.times.join(', ')} | ${median(x.times).toFixed(0)} | ${x.userMs.toFixed(0)} | ${x.sysMs.toFixed(0)} | ${x.maxRssMiB.toFixed(0)} | ${notes} |`);
  }
  if (dks.size !== 1) process.exitCode = 1;
}
