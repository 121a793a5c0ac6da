// The node backend derives large keys (from 128 MiB) with the WebAssembly ROMix in worker threads that
// keep their memory: the same keys as node:crypto, the event loop free meanwhile, an abort that ends
// the thread instead of waiting for it.
import { expect, test } from '@jest/globals';
import { scryptSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scryptPrimitivesNode } from '../src/node.js';
import { WASM_MIN_MEMORY, wantsWasm } from '../src/wasm-threads.js';
import { enc } from '@qubes-backup/testkit';

const N = 2 ** 17; // 128 MiB at r 8: the smallest derivation the threads take

test('which derivations go to the threads: from 128 MiB up to one WebAssembly memory', () => {
  expect(WASM_MIN_MEMORY).toBe(128 * 2 ** 20);
  expect([wantsWasm(2 ** 14, 8), wantsWasm(N, 8), wantsWasm(2 ** 20, 8), wantsWasm(2 ** 22, 8)]).toEqual([false, true, true, false]);
});

test('the same keys as node:crypto, twice on one thread (its memory reused), with the event loop running', async () => {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 5);
  try {
    for (const pass of ['first', 'second']) {
      const got = await scryptPrimitivesNode.scrypt(enc(pass), enc('salt'), N, 8, 1);
      expect(Buffer.from(got).toString('hex')).toBe(scryptSync(pass, 'salt', 64, { N, r: 8, p: 1, maxmem: 2 ** 28 }).toString('hex'));
    }
  } finally {
    clearInterval(timer);
  }
  expect(ticks).toBeGreaterThan(5);
});

test('p = 2 and r = 4 agree with node:crypto as well', async () => {
  const got = await scryptPrimitivesNode.scrypt(enc('pass'), enc('salt'), 2 ** 18, 4, 2);
  expect(Buffer.from(got).toString('hex')).toBe(scryptSync('pass', 'salt', 64, { N: 2 ** 18, r: 4, p: 2, maxmem: 2 ** 30 }).toString('hex'));
});

test('an abort ends the derivation at once with its reason', async () => {
  const stop = new AbortController();
  const started = performance.now();
  const p = scryptPrimitivesNode.scrypt(enc('pass'), enc('salt'), 2 ** 20, 8, 1, stop.signal);
  setTimeout(() => stop.abort(new Error('cancelled')), 50);
  await expect(p).rejects.toThrow('cancelled');
  expect(performance.now() - started).toBeLessThan(2000);
});

test('where WebAssembly memory cannot be had (a virtual-memory limit, ulimit -v), node:crypto derives instead', () => {
  // V8 reserves about 10 GiB of address space per WebAssembly memory; node:crypto needs only what it uses.
  const node = fileURLToPath(new URL('../dist/node.js', import.meta.url));
  const script = `import { scryptPrimitivesNode as p } from ${JSON.stringify(node)};
    const k = await p.scrypt(new TextEncoder().encode('pass'), new TextEncoder().encode('salt'), ${N}, 8, 1);
    process.stdout.write(Buffer.from(k).toString('hex'));`;
  const r = spawnSync('sh', ['-c', 'ulimit -v 6000000 && exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(scryptSync('pass', 'salt', 64, { N, r: 8, p: 1, maxmem: 2 ** 28 }).toString('hex'));
});
