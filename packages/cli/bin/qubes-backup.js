#!/usr/bin/env node
// Committed wrapper (executable in git) so `npx qubes-backup` works right after `npm ci && npm run build`.
// libuv's pool (4 threads by default) runs scrypt derivations, zlib and file I/O: give parallel key
// derivation its cores without starving I/O. It must be set before the pool first starts.
import { availableParallelism } from 'node:os';
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() + 2));
const { main } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2));
