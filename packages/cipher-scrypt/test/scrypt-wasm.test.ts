// ScryptWasm (src/scrypt-wasm.ts, ROMix in src/romix.wat) against RFC 7914's vectors and node's
// crypto.scrypt, one instance reused across parameters as a restore reuses it, and what it leaves
// in its memory. The N = 2^20 vector (1 GiB, a few seconds) runs with QUBES_SLOW_TESTS=1.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ScryptWasm, scryptWasm, scryptWasmMemory } from '../src/scrypt-wasm.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nodeScrypt = (pass: Uint8Array, salt: Uint8Array, N: number, r: number, p: number, dkLen = 64): string =>
  scryptSync(pass, salt, dkLen, { N, r, p, maxmem: 2 ** 31 }).toString('hex');
const zero = (m: WebAssembly.Memory, from = 0, to = m.buffer.byteLength): boolean =>
  new Uint8Array(m.buffer, from, to - from).every((b) => b === 0);

test('the committed module is romix.wat assembled', () => {
  const tool = fileURLToPath(new URL('../../../tools/build-wasm.mjs', import.meta.url));
  expect(() => execFileSync(process.execPath, [tool, 'scrypt', '--check'], { stdio: 'pipe' })).not.toThrow();
});

// RFC 7914 §12.
const RFC = [
  { P: '', S: '', N: 16, r: 1, p: 1, dk: '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906' },
  { P: 'password', S: 'NaCl', N: 1024, r: 8, p: 16, dk: 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640' },
  { P: 'pleaseletmein', S: 'SodiumChloride', N: 16384, r: 8, p: 1, dk: '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887' },
];
const SLOW = { P: 'pleaseletmein', S: 'SodiumChloride', N: 1048576, r: 8, p: 1, dk: '2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa478e56fd8f4ba5d09ffa1c6d927c40f4c337304049e8a952fbcbf45c6fa77a41a4' };

describe('RFC 7914 test vectors', () => {
  test.each(RFC)('N=$N r=$r p=$p', ({ P, S, N, r, p, dk }) => {
    expect(hex(scryptWasm(enc(P), enc(S), N, r, p, 64))).toBe(dk);
  });
  (process.env['QUBES_SLOW_TESTS'] ? test : test.skip)('N=1048576 r=8 p=1 (1 GiB; QUBES_SLOW_TESTS=1)', () => {
    const s = new ScryptWasm();
    expect(hex(s.derive(enc(SLOW.P), enc(SLOW.S), SLOW.N, SLOW.r, SLOW.p, 64))).toBe(SLOW.dk);
    expect(s.memoryBytes).toBeGreaterThanOrEqual(scryptWasmMemory(SLOW.N, SLOW.r));
    expect(zero(s.memory)).toBe(true);
  }, 120_000);
});

test('agrees with node:crypto scrypt on random passphrases, salts and parameters (one instance)', () => {
  const s = new ScryptWasm();
  fc.assert(fc.property(
    fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 100 }),
    (pass, salt, logN, r, p, dkLen) => {
      expect(hex(s.derive(pass, salt, 2 ** logN, r, p, dkLen))).toBe(nodeScrypt(pass, salt, 2 ** logN, r, p, dkLen));
    },
  ), { numRuns: 12, seed: 7914 });
});

test('memory is reused: grown only for larger parameters, right answers before and after', () => {
  const s = new ScryptWasm();
  const pass = enc('correct horse'), salt = enc('battery staple');
  const cases = [[2 ** 12, 8, 1], [2 ** 4, 2, 2], [2 ** 13, 3, 1], [2 ** 12, 8, 1], [2 ** 14, 8, 1], [2, 1, 1]] as const;
  let size = 0;
  for (const [N, r, p] of cases) {
    expect({ N, r, p, dk: hex(s.derive(pass, salt, N, r, p)) }).toEqual({ N, r, p, dk: nodeScrypt(pass, salt, N, r, p) });
    const need = scryptWasmMemory(N, r);
    expect(s.memoryBytes).toBe(Math.max(size, Math.ceil(need / 65536) * 65536, 65536));
    size = s.memoryBytes;
  }
});

describe('what a derivation leaves in memory', () => {
  const pass = enc('pleaseletmein'), salt = enc('SodiumChloride');
  test('nothing by default: working blocks and V are zeroed', () => {
    const s = new ScryptWasm();
    s.derive(pass, salt, 1024, 8, 2);
    expect(zero(s.memory)).toBe(true);
  });
  test('with wipeV false, the working blocks are zeroed, V is left until wipe()', () => {
    const s = new ScryptWasm({ wipeV: false });
    s.derive(pass, salt, 4096, 4, 1);
    s.derive(pass, salt, 1024, 2, 1);
    expect(zero(s.memory, 0, 2 * 128 * 2)).toBe(true);
    expect(zero(s.memory)).toBe(false);
    s.wipe();
    expect(zero(s.memory)).toBe(true);
    expect(hex(s.derive(pass, salt, 16, 1, 1))).toBe(nodeScrypt(pass, salt, 16, 1, 1));
  });
});

test('refuses parameters scrypt does not define or that do not fit in 4 GiB', () => {
  const s = new ScryptWasm();
  const x = enc('x');
  expect(() => s.derive(x, x, 1, 1, 1)).toThrow(RangeError);
  expect(() => s.derive(x, x, 24, 1, 1)).toThrow(/power of 2/);
  expect(() => s.derive(x, x, 16, 0, 1)).toThrow(RangeError);
  expect(() => s.derive(x, x, 16, 1, 0)).toThrow(RangeError);
  expect(() => s.derive(x, x, 16, 1, 1, 0)).toThrow(RangeError);
  expect(() => s.derive(x, x, 2 ** 22, 8, 1)).toThrow(/4 GiB/);
  expect(s.memoryBytes).toBe(65536);
});
