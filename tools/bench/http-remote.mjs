#!/usr/bin/env node
// Reading a backup over HTTP: bytes transferred and wall time of `qubes-backup` given the URL, against
// the baseline of downloading it through a pipe (`curl -s URL | qubes-backup extract -`), with a
// Range-capable server on 127.0.0.1 that counts the body bytes it sends. Loopback has no latency or
// bandwidth limit, so the times show the cost of the transport code, and the bytes what a slow link
// would have to carry. Not run in CI.
// Usage: node tools/bench/http-remote.mjs BACKUP [--vm NAME] [--runs N]   (passphrase from QUBES_BACKUP_PASSPHRASE, default qubes)
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--vm' && args[args.indexOf(a) - 1] !== '--runs');
const vm = args.includes('--vm') ? args[args.indexOf('--vm') + 1] : undefined;
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
if (!file) { process.stderr.write('usage: http-remote.mjs BACKUP [--vm NAME] [--runs N]\n'); process.exit(2); }
const size = statSync(file).size;
const cli = fileURLToPath(new URL('../../packages/cli/bin/qubes-backup.js', import.meta.url));

let served = 0;
const server = createServer((req, res) => {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  res.writeHead(m ? 206 : 200, {
    etag: '"bench"', 'content-length': String(end - start + 1), 'accept-ranges': 'bytes',
    ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  const s = createReadStream(file, { start, end });
  s.on('data', (d) => { served += d.length; });
  s.pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/backup`;
const env = { ...process.env, QUBES_BACKUP_PASSPHRASE: process.env.QUBES_BACKUP_PASSPHRASE ?? 'qubes' };

/** Runs a shell command `runs` times; the median wall time and the bytes served in the median run. */
async function measure(label, command) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const dest = mkdtempSync(join(tmpdir(), 'qbt-http-bench-'));
    served = 0;
    const t0 = process.hrtime.bigint();
    const code = await new Promise((resolve) => {
      spawn('sh', ['-c', command.replaceAll('DEST', join(dest, 'out'))], { stdio: ['ignore', 'ignore', 'inherit'], env }).on('exit', resolve);
    });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    rmSync(dest, { recursive: true, force: true });
    if (code !== 0) throw new Error(`${label}: exit ${code}`);
    results.push({ secs, bytes: served });
  }
  results.sort((a, b) => a.secs - b.secs);
  const r = results[Math.floor(results.length / 2)];
  process.stdout.write(`| ${label} | ${(r.bytes / 2 ** 20).toFixed(2)} MiB | ${((100 * r.bytes) / size).toFixed(3)} % | ${r.secs.toFixed(2)} s |\n`);
}

process.stdout.write(`backup: ${(size / 2 ** 20).toFixed(1)} MiB, ${runs} run(s), median\n\n| command | transferred | of the backup | wall time |\n| --- | --- | --- | --- |\n`);
const q = (s) => `'${s}'`;
await measure('`curl -s URL | qubes-backup extract - --dest D` (baseline)', `curl -s ${q(url)} | node ${q(cli)} extract - --dest DEST --no-progress`);
await measure('`qubes-backup extract URL --dest D`', `node ${q(cli)} extract ${q(url)} --dest DEST --no-progress`);
await measure('`qubes-backup info URL`', `node ${q(cli)} info ${q(url)} > /dev/null`);
if (vm) {
  await measure(`\`curl -s URL | qubes-backup extract - --vm ${vm}\` (baseline)`, `curl -s ${q(url)} | node ${q(cli)} extract - --vm ${vm} --dest DEST --no-progress`);
  await measure(`\`qubes-backup extract URL --vm ${vm}\``, `node ${q(cli)} extract ${q(url)} --vm ${vm} --dest DEST --no-progress`);
}
server.close();
