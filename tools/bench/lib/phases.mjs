// Where a Borg restore's time goes, by phase: a preload that wraps methods of the built packages (and of
// node's crypto, zlib and fs) with wall-clock counters and prints the sums when the process exits. Nothing
// under packages/ changes. The restore is sequential (one object at a time), so the sums split its wall
// time; "repo.get" and the write side include waiting for the thread pool.
//
//   node tools/bench/lib/phases.mjs REPO::ARCHIVE DEST        # runs the CLI with it (env: QUBES_BACKUP_PASSPHRASE)
//   node --import ./tools/bench/lib/phases.mjs packages/cli/bin/qubes-backup.js extract ...   # the same by hand
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = new URL('../../../packages/', import.meta.url);
const self = fileURLToPath(import.meta.url);

if (process.argv[1] === self) {
  // Run the CLI under this preload (the CLI wrapper passes --import on to the node it re-runs).
  const [target, dest, ...rest] = process.argv.slice(2);
  if (!target || !dest) { process.stderr.write('usage: node tools/bench/lib/phases.mjs REPO::ARCHIVE DEST [extract options]\n'); process.exit(1); }
  const r = spawnSync(process.execPath, ['--import', self, fileURLToPath(new URL('cli/bin/qubes-backup.js', root)),
    'extract', target, '--dest', dest, '--no-progress', ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  const mod = (p) => import(new URL(p, root).href);
  const { Repository } = await mod('format-borg/dist/repository.js');
  const { HashIndexFile } = await mod('format-borg/dist/hash-index.js');
  const { Objects } = await mod('format-borg/dist/objects.js');
  const { Lz4BlockDecoder } = await mod('codec-lz4/dist/block-decoder.js');

  const acc = new Map();
  const add = (k, ms) => { const a = acc.get(k) ?? { ms: 0, n: 0 }; a.ms += ms; a.n++; acc.set(k, a); };
  const depth = new Map(); // a wrapped async method calling itself (retries) counts once
  const wrapAsync = (obj, name, key) => {
    const orig = obj[name];
    obj[name] = async function (...a) {
      const d = depth.get(key) ?? 0;
      depth.set(key, d + 1);
      const t = performance.now();
      try { return await orig.apply(this, a); } finally { depth.set(key, d); if (d === 0) add(key, performance.now() - t); }
    };
  };
  const wrapSync = (obj, name, key) => {
    const orig = obj[name];
    obj[name] = function (...a) { const t = performance.now(); try { return orig.apply(this, a); } finally { add(key, performance.now() - t); } };
  };
  wrapAsync(Repository.prototype, 'get', 'A  repo.get: index lookup, header and data reads, CRC32');
  wrapAsync(HashIndexFile.prototype, 'lookup', 'A1   index.N lookup');
  wrapSync(zlib, 'crc32', 'A2   CRC32');
  syncBuiltinESMExports();
  wrapAsync(Objects.prototype, 'open', 'B  objects.open: MAC, AES, decompress');
  wrapSync(Objects.prototype, 'mac', 'B1   HMAC-SHA256 of the stored object');
  wrapSync(crypto.Decipheriv.prototype, 'update', 'B2   AES-256-CTR (Decipheriv.update, output allocation included)');
  wrapSync(Lz4BlockDecoder.prototype, 'decode', 'B3   lz4 decode (decode + flush)');
  wrapSync(Lz4BlockDecoder.prototype, 'flush', 'B3   lz4 decode (decode + flush)');
  wrapSync(Objects.prototype, 'idOf', 'C  id check: HMAC-SHA256 of the plaintext');
  const probe = await fsp.open(self, 'r');
  const FileHandle = Object.getPrototypeOf(probe);
  await probe.close();
  for (const m of ['write', 'truncate', 'chmod', 'utimes']) wrapAsync(FileHandle, m, `W  write side: FileHandle.${m}`);
  for (const m of ['rename', 'lstat', 'mkdir', 'symlink', 'utimes', 'lutimes', 'chmod', 'link']) wrapAsync(fsp, m, `W  write side: fs.${m}`);
  const open = fsp.open;
  fsp.open = async function (path, flags, ...rest) {
    const t = performance.now();
    try { return await open.call(this, path, flags, ...rest); } finally {
      add(typeof flags === 'number' ? 'W  write side: open (create)' : 'R  open for a read (one per read call)', performance.now() - t);
    }
  };
  const t0 = performance.now();
  process.on('exit', () => {
    if (!acc.has('A  repo.get: index lookup, header and data reads, CRC32')) return; // the CLI wrapper's own process
    const total = performance.now() - t0;
    const lines = [...acc].sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => `${(v.ms / 1000).toFixed(2).padStart(7)} s ${(100 * v.ms / total).toFixed(1).padStart(5)} % ${String(v.n).padStart(7)} calls  ${k}`);
    process.stderr.write(`phases, wall ${(total / 1000).toFixed(2)} s from preload to exit:\n${lines.join('\n')}\n`);
  });
}
