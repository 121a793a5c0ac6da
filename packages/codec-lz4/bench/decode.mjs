// Decoding speed of one block repeated to ~64 MiB of output, against liblz4 on the same block
// (Debian's python3-lz4, `lz4.block.decompress`, the library Borg uses); medians of 5 runs each.
// Usage (repository root): npm run build && node packages/codec-lz4/bench/decode.mjs [FILE.lz4]
//
// Times are CPU time (user + system) of the decoding loops alone; wall time is printed too.
// Two things that are not decoding are kept out of both measurements:
// - python3-lz4 allocates a fresh output buffer per call; glibc hands 1 MiB ones back to the
//   kernel on free, so every call faults in 2 MiB of new pages (30× the decoding time on this
//   VM). The MALLOC_* settings below make glibc keep freed memory, as node's heap does.
// - Forking a child write-protects the parent's pages, so the node runs come after the python
//   child has exited, behind a warm-up run, instead of alternating with it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lz4BlockDecode } from '@qubes-backup/codec-lz4';

const file = process.argv[2] ?? new URL('../test/fixtures/mixed-1MiB.lz4', import.meta.url).pathname;
const block = new Uint8Array(readFileSync(file));
async function* once() { yield block; }
let size = 0;
for await (const c of lz4BlockDecode(once())) size += c.length;
const times = Math.max(1, Math.round(64 * 2 ** 20 / size));
const mib = (size * times) / 2 ** 20;

const python = `import lz4.block, sys, time
b = open(sys.argv[1], 'rb').read()
assert len(lz4.block.decompress(b, uncompressed_size=${size})) == ${size}
for _ in range(5):
    w, t = time.perf_counter(), time.process_time()
    for _ in range(${times}): lz4.block.decompress(b, uncompressed_size=${size})
    print(time.process_time() - t, time.perf_counter() - w)`;
const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30), MALLOC_TOP_PAD_: String(64 << 20) };
const liblz4 = execFileSync('/usr/bin/python3', ['-c', python, file], { encoding: 'utf8', env })
  .trim().split('\n').map((line) => line.split(' ').map(Number));

/**
 * [cpu seconds, wall seconds] of decoding the block `times` times: streaming, or with the output
 * size given (as Borg's chunk list gives it), which takes the WebAssembly whole-block decoder.
 */
async function ours(opts = {}) {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  for (let k = 0; k < times; k++) for await (const c of lz4BlockDecode(once(), opts)) void c;
  const d = process.cpuUsage(cpu);
  return [(d.user + d.system) / 1e6, (performance.now() - wall) / 1000];
}
await ours(); // warm up the JIT (and take the page faults the fork above left)
const a = [];
for (let r = 0; r < 5; r++) a.push(await ours());
await ours({ outputSize: size });
const w = [];
for (let r = 0; r < 5; r++) w.push(await ours({ outputSize: size }));

const median = (xs, i) => xs.map((x) => x[i]).sort((x, y) => x - y)[2];
const show = (name, xs) => console.log(`${name}: ${(mib / median(xs, 0)).toFixed(0)} MiB/s of CPU time`
  + ` (runs ${xs.map((x) => x[0].toFixed(3)).join(', ')} s; wall ${(mib / median(xs, 1)).toFixed(0)} MiB/s)`);
console.log(`${file.split('/').pop()}: ${size} bytes out × ${times} = ${mib.toFixed(0)} MiB`);
show('codec-lz4 streaming', a);
show('codec-lz4 whole block (outputSize, WebAssembly)', w);
show('liblz4 1.9.4 via python3-lz4', liblz4);
console.log(`ratio: liblz4 is ${(median(a, 0) / median(liblz4, 0)).toFixed(1)}× faster than streaming, `
  + `${(median(w, 0) / median(liblz4, 0)).toFixed(1)}× than whole block (CPU time)`);
