#!/usr/bin/env node
// Committed wrapper (executable in git) so `npx qubes-backup` works right after `npm ci && npm run build`.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

// glibc raises its mmap threshold each time a large block is freed: after the first scrypt
// derivation (16 MiB to 1 GiB) those blocks come from the heap arenas of the pool threads, and
// freed memory stays with the process. A fixed threshold keeps the largest blocks mmapped (given
// back at once) and stream buffers on the heap (fast). Measured on a 1 GiB backup: peak RSS 297 ->
// 213 MiB at 4 MiB, same time (128 KiB would give 210 MiB but 80 % slower: every buffer mmapped).
// 16 MiB rather than 4 MiB: Borg chunks are up to 8 MiB and each makes three buffers (read,
// decrypted, decompressed); mmapped, every one came as fresh pages. Borg case f 6.2-6.4 -> 5.1-5.7 s
// (system time 3.0-3.4 -> 2.1-2.6 s), peak RSS unchanged there and on v4 (default and logN-14
// scrypt) and v3 backups of 1 GiB. Not more: scrypt's smallest usual block (logN 14, r 8: 16 MiB
// and a few KiB) stays mmapped, given back at once and not mixed into the heap.
// Setting the mmap threshold also fixes the trim threshold at 128 KiB, so every free at the top of
// the heap gave pages back and the next buffer faulted them in again: AES-CTR output (a new buffer
// per Borg chunk) ran 3x slower. A 64 MiB trim threshold keeps them for reuse. glibc reads these
// settings only at process start, so run once more with them set.
// One malloc arena for all threads (glibc gives each thread of libuv's pool its own, up to 8 per
// core, and memory freed in one stays there): peak RSS on 1-2 GiB backups v4 234 -> 196 MiB, 238 ->
// 195 MiB, v3 195 -> 184 MiB, Borg 184 -> 172 MiB, no slower (Borg 6.3 -> 5.3 s); two runs each.
// The same run caps V8's young generation at 1 MiB semi-spaces (default 16 MiB): a restore's JS
// objects are small and short-lived (its bytes live outside the JS heap), so the larger nursery only
// held garbage. Measured: peak RSS -20 to -30 MiB on 1-2 GiB backups, no slower (v3 faster).
// This process only waits for that run. Ctrl-C on a terminal reaches both (one process group), so
// here it is ignored and the run stops in its own way (completed files kept, a resume hint); a
// SIGTERM or SIGHUP sent to this process alone is passed on, so the run is never left behind.
if (process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
  const child = spawn(process.execPath, [...process.execArgv, '--max-semi-space-size=1', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      ...process.env, MALLOC_MMAP_THRESHOLD_: String(16 << 20), MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? String(64 << 20),
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '1',
    },
  });
  process.on('SIGINT', () => {});
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const [status, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve([code, sig]));
  });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(status ?? 1);
}

// A reader that quit early (`qubes-backup info B | head`) closes the pipe: nothing is left to tell,
// so end quietly as other Unix tools do, instead of an unhandled EPIPE stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// libuv's pool (4 threads by default) runs scrypt derivations, zlib and file I/O: give parallel key
// derivation its cores without starving I/O. It must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() + 2));
const { main } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2));
