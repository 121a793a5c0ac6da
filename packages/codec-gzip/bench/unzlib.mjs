// Throughput of both zlib backends on one zlib stream decoded over and over to ~64 MiB of output,
// fed in 64 KiB pieces; medians of 5.
// Usage: npm run build && node packages/codec-gzip/bench/unzlib.mjs [FILE.zz]
import { readFileSync } from 'node:fs';
import { unzlibPortable } from '../dist/index.js';
import { unzlibNode } from '../dist/node.js';

const file = process.argv[2] ?? new URL('../test/fixtures/text-6.zz', import.meta.url).pathname;
const data = new Uint8Array(readFileSync(file));
async function* pieces() { for (let o = 0; o < data.length; o += 65536) yield data.subarray(o, o + 65536); }
let size = 0;
for await (const c of unzlibNode(pieces())) size += c.length;
const times = Math.max(1, Math.round(64 * 2 ** 20 / size));
for (const [name, unzlib] of [['node', unzlibNode], ['portable', unzlibPortable]]) {
  const runs = [];
  for (let r = 0; r < 6; r++) {
    const t = performance.now();
    for (let k = 0; k < times; k++) for await (const c of unzlib(pieces())) void c;
    if (r > 0) runs.push((performance.now() - t) / 1000); // the first run warms up the JIT
  }
  const med = [...runs].sort((a, b) => a - b)[2];
  const mib = (size * times) / 2 ** 20;
  console.log(`${name}: ${mib.toFixed(0)} MiB out, median ${med.toFixed(2)} s, ${(mib / med).toFixed(1)} MiB/s (runs ${runs.map((r) => r.toFixed(2)).join(', ')})`);
}
