// Throughput of both backends on one .gz file, fed in 64 KiB pieces; medians of 3.
// Usage: npx tsc -b packages/codec-gzip && node packages/codec-gzip/bench/gunzip.mjs FILE.gz
import { readFileSync } from 'node:fs';
import { gunzipPortable } from '../dist/index.js';
import { gunzipNode } from '../dist/node.js';

const data = new Uint8Array(readFileSync(process.argv[2]));
async function* pieces() { for (let o = 0; o < data.length; o += 65536) yield data.subarray(o, o + 65536); }
for (const [name, gunzip] of [['node', gunzipNode], ['portable', gunzipPortable]]) {
  const runs = [];
  let size = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    size = 0;
    for await (const c of gunzip(pieces())) size += c.length;
    runs.push((performance.now() - t) / 1000);
  }
  const med = [...runs].sort((a, b) => a - b)[1];
  console.log(`${name}: ${(size / 2 ** 20).toFixed(1)} MiB out, median ${med.toFixed(2)} s, ${(size / 2 ** 20 / med).toFixed(1)} MiB/s (runs ${runs.map((r) => r.toFixed(2)).join(', ')})`);
}
