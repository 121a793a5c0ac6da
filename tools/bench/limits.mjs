#!/usr/bin/env node
// How long the refusals and yields that unit tests check by what they do take in wall-clock time.
// The tests assert work (the message of the bound that stopped a parse, event-loop turns while a
// KDF runs); the durations they once asserted (and the bounds they used) are measured here, where
// a loaded machine only makes a number noisy instead of failing CI. Not run in CI.
//   npm run build && node tools/bench/limits.mjs [--runs N]
import { performance } from 'node:perf_hooks';
import { createScryptCipher } from '../../packages/cipher-scrypt/dist/index.js';
import { once } from '../../packages/core/dist/index.js';
import { kdfNode } from '../../packages/kdf/dist/node.js';
import { kdfPortable, MAX_PBKDF2_ITERATIONS } from '../../packages/kdf/dist/index.js';
import { MAX_XML_BYTES, parseQubesXml } from '../../packages/qubes-xml/dist/index.js';
// The test-only scrypt writer (its module, not testkit's index: that one loads Jest).
import { encryptUnit } from '../../packages/testkit/dist/scrypt-unit.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const enc = (s) => new TextEncoder().encode(s);

/** Median milliseconds of `f` over the runs; `f` must throw or resolve as its case says. */
async function median(f) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
}

const refused = (f) => async () => { try { await f(); } catch { return; } throw new Error('expected a refusal'); };

/** [case, bound the unit test used to assert (ms), what it measures] */
const cases = [
  ['qubes.xml of 64 MiB + 1 byte (bytes) refused before decoding', 2000,
    refused(() => parseQubesXml(new Uint8Array(MAX_XML_BYTES + 1).fill(0xff)))],
  ['qubes.xml of 64 MiB + 1 character (string) refused before parsing', 2000, refused(() => parseQubesXml('<'.repeat(MAX_XML_BYTES + 1)))],
  ['qubes.xml nested 200 000 deep refused at the nesting bound', 3000,
    refused(() => parseQubesXml('<qubes>' + '<a>'.repeat(200_000) + '</a>'.repeat(200_000) + '</qubes>'))],
  ...[['node', kdfNode], ['portable', kdfPortable]].map(([backend, list]) => [
    `PBKDF2 (${backend}) with an aborted signal and ${MAX_PBKDF2_ITERATIONS} iterations rejects`, 500,
    refused(() => {
      const ac = new AbortController();
      ac.abort();
      return list.find((d) => d.name === 'pbkdf2-sha256').create().derive(enc('k'), { salt: enc('s'), iterations: MAX_PBKDF2_ITERATIONS, length: 32 }, { signal: ac.signal });
    })]),
];

const rows = [];
for (const [what, bound, f] of cases) {
  const ms = await median(f);
  rows.push(`| ${what} | ${ms.toFixed(1)} | ${bound} | ${ms < bound ? 'yes' : '**no**'} |`);
}

// Event-loop turns per second while a derivation runs (a blocked loop gives none).
async function turnsPerSecond(work) {
  let turns = 0;
  let running = true;
  const spin = () => { if (running) { turns++; setTimeout(spin, 0); } };
  spin();
  const t = performance.now();
  await work();
  const s = (performance.now() - t) / 1000;
  running = false;
  return { turns, s };
}
const loop = [];
for (const [backend, list] of [['node', kdfNode], ['portable', kdfPortable]]) {
  const { turns, s } = await turnsPerSecond(() => list.find((d) => d.name === 'pbkdf2-sha512').create().derive(enc('k'), { salt: enc('s'), iterations: 60_000, length: 64 }));
  loop.push(`| PBKDF2-SHA512 60 000 iterations (${backend}) | ${(s * 1000).toFixed(0)} | ${turns} | ${(turns / s).toFixed(0)} | 20 |`);
}
const unit = encryptUnit(new Uint8Array(10), enc('qubes'), 15, 8, 1);
{
  const { turns, s } = await turnsPerSecond(async () => { for await (const _ of createScryptCipher({ backend: 'node' }).decrypt(once(unit), enc('qubes'))) { /* drain */ } });
  loop.push(`| scrypt logN 15 r 8 (node) | ${(s * 1000).toFixed(0)} | ${turns} | ${(turns / s).toFixed(0)} | – |`);
}

console.log(`## Refusal times (median of ${runs}; machine load: see uptime)\n
| case | ms | old test bound (ms) | within |
| --- | --- | --- | --- |
${rows.join('\n')}

## Event loop while a key is derived

| derivation | ms | timer turns | turns/s | old test floor (turns/s) |
| --- | --- | --- | --- | --- |
${loop.join('\n')}`);
