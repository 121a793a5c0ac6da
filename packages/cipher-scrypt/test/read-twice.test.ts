// decryptUnit given `reread` (a chunk of a local file): the unit is authenticated by a first read
// and decrypted from a second one, never held whole; a second read that differs from the first is
// refused before any of its different bytes are decrypted.
import { describe, expect, test } from '@jest/globals';
import type { ByteStream } from '@qubes-backup/core';
import { consume, failure, flip, hex, liveArrayBuffers, randomBytes } from '@qubes-backup/testkit';
import type { ScryptPrimitives } from '../src/_primitives.js';
import { deriveKeysWith, type ScryptKeys } from '../src/keys.js';
import { scryptPrimitivesNode } from '../src/node.js';
import { scryptPrimitivesPortable } from '../src/portable.js';
import { PIECE_SIZE, decryptUnit, type KeySource } from '../src/unit.js';
import { webCryptoPrimitives } from '../src/webcrypto.js';
import { PASS, encryptUnit, split } from './helpers.js';
import { fingerprintPortable } from '@qubes-backup/hash';
import { fingerprintNode } from '@qubes-backup/hash/node';

/** A fresh `read-twice` fingerprint (the format asks the registry for one per unit): GMAC, or HMAC-SHA256. */
const gmac = () => fingerprintNode.create().create();
const hmacPrint = () => fingerprintPortable.create().create();

const HEADER = 96;
const TRAILER = 32;

/** Real keys from `prims`, kept to check they were wiped. */
function keysFrom(prims: ScryptPrimitives): { source: KeySource; made: ScryptKeys[] } {
  const made: ScryptKeys[] = [];
  return { made, source: async (header) => { const k = await deriveKeysWith(prims, header, PASS); made.push(k); return k; } };
}

/** A `reread` giving `data` in pieces cut elsewhere than the first read's, counting its calls. */
function rereadOf(data: Uint8Array): { reread: () => ByteStream; calls: number } {
  const r = { calls: 0, reread: (): ByteStream => { r.calls++; return split(data, [4096, 700_001, 3]); } };
  return r;
}

const backends: [string, ScryptPrimitives, () => (data: Uint8Array) => Uint8Array][] = [
  ['node (GMAC fingerprints)', scryptPrimitivesNode, gmac], ['portable (HMAC fingerprints)', scryptPrimitivesPortable, hmacPrint],
];

describe.each(backends)('read twice, %s', (_name, prims, fingerprint) => {
  // Ciphertext lengths around the 1 MiB windows: the 32-byte trailer alone, whole, cut by a window's end.
  test.each([0, 1, PIECE_SIZE - TRAILER, PIECE_SIZE - TRAILER + 1, PIECE_SIZE - 16, PIECE_SIZE, 2 * PIECE_SIZE + 5])(
    '%i bytes of plaintext: the same bytes, pieces of at most 1 MiB, read again once, keys wiped', async (n) => {
      const plain = randomBytes(n, n + 1);
      const unit = encryptUnit(plain, PASS, 1, 1, 1);
      const k = keysFrom(prims);
      const again = rereadOf(unit);
      const got = await consume(decryptUnit(split(unit, [65_536, 1_000_003]), k.source, { reread: again.reread, fingerprint: fingerprint() }));
      expect(hex(got.bytes) === hex(plain)).toBe(true);
      expect(got.maxPiece).toBeLessThanOrEqual(PIECE_SIZE);
      expect([again.calls, k.made.length, k.made.every((x) => x.wiped)]).toEqual([1, 1, true]);
    });
});

describe('read twice: what is refused', () => {
  const plain = randomBytes(3 * PIECE_SIZE + 1000, 7);
  const unit = encryptUnit(plain, PASS, 1, 1, 1);

  test('a tampered unit fails its MAC on the first read: nothing decrypted, no second read', async () => {
    const bad = flip(unit, HEADER + PIECE_SIZE + 9, 0x01);
    const again = rereadOf(bad);
    const f = await failure(decryptUnit(split(bad, [65_536]), keysFrom(scryptPrimitivesNode).source, { reread: again.reread, fingerprint: gmac() }));
    expect(f.error).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('HMAC does not verify') });
    expect([f.released, again.calls]).toEqual([0, 0]);
  });

  test('a unit cut inside its trailer is truncated (E_CORRUPT with its length), not a MAC failure', async () => {
    const cut = unit.subarray(0, HEADER + 10);
    const f = await failure(decryptUnit(split(cut, [65_536]), keysFrom(scryptPrimitivesNode).source, { reread: rereadOf(cut).reread, fingerprint: gmac() }));
    expect(f.error).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('truncated scrypt unit: 106 bytes') });
  });

  test('an abort during the second read stops it with the abort\'s reason', async () => {
    const ac = new AbortController();
    const it = decryptUnit(split(unit, [65_536]), keysFrom(scryptPrimitivesNode).source, { reread: rereadOf(unit).reread, fingerprint: gmac(), signal: ac.signal })[Symbol.asyncIterator]();
    expect((await it.next()).value.length).toBe(PIECE_SIZE);
    ac.abort(new Error('user stop'));
    await expect(it.next()).rejects.toThrow('user stop');
  });

  test.each([
    ['a byte of window 2 changed', flip(unit, HEADER + PIECE_SIZE + 9, 0x01), PIECE_SIZE],
    ['a byte of the header changed', flip(unit, 40, 0x01), 0],
    ['the trailer changed: the window with the last 1000 bytes of ciphertext', flip(unit, unit.length - 1, 0x01), 3 * PIECE_SIZE],
    ['cut short by 10 bytes', unit.subarray(0, unit.length - 10), 3 * PIECE_SIZE],
    ['cut inside window 2', unit.subarray(0, HEADER + PIECE_SIZE + 100), PIECE_SIZE],
  ])('the second read differs from the first (%s): refused, only the windows before it were passed on', async (_what, second, released) => {
    const again = rereadOf(second);
    const f = await failure(decryptUnit(split(unit, [65_536]), keysFrom(scryptPrimitivesNode).source, { reread: again.reread, fingerprint: gmac() }));
    expect(f.error).toMatchObject({ code: 'E_AUTH', message: expect.stringContaining('read again gave other bytes') });
    expect(f.released).toBe(released);
  });
});

describe('read twice: memory', () => {
  test('a 24 MiB unit is never held: about 4 MiB live while it is decrypted (the buffered path holds the unit, and so did a reader that kept what it gave out: 28 MiB)', async () => {
    const plain = randomBytes(24 * 2 ** 20, 11);
    const unit = encryptUnit(plain, PASS, 1, 1, 1);
    /** Live ArrayBuffers after every 4 pieces of plaintext, up to the 20th. */
    const samplesOf = async (opts: { reread?: () => ByteStream; fingerprint?: (data: Uint8Array) => Uint8Array }): Promise<number[]> => {
      const before = liveArrayBuffers();
      const samples: number[] = [];
      let n = 0;
      // split() copies each piece into a buffer of its own, as a file source reads.
      for await (const c of decryptUnit(split(unit, [PIECE_SIZE]), keysFrom(scryptPrimitivesNode).source, opts)) {
        if (++n % 4 === 0 && n <= 20) samples.push(liveArrayBuffers() - before);
        expect(c.length).toBeGreaterThan(0);
      }
      return samples;
    };
    const twice = await samplesOf({ reread: () => split(unit, [PIECE_SIZE]), fingerprint: gmac() });
    const held = await samplesOf({});
    // The median: samples once caught ~16 MiB that was not this code's (dead buffers V8 had not freed yet; liveArrayBuffers now waits for that).
    const median = [...twice].sort((a, b) => a - b)[Math.floor(twice.length / 2)]!;
    expect(median).toBeLessThan(10 * 2 ** 20);
    // After 4 pieces were passed on (and let go), the rest of the unit is still held.
    expect(held[0]).toBeGreaterThan(18 * 2 ** 20);
  }, 60_000);
});

test('a one-shot MAC (WebCrypto) buffers the unit as before: reread is not called', async () => {
  const prims: ScryptPrimitives = { ...scryptPrimitivesPortable, ...webCryptoPrimitives(globalThis.crypto.subtle) };
  const plain = randomBytes(PIECE_SIZE + 77, 5);
  const unit = encryptUnit(plain, PASS, 1, 1, 1);
  const again = rereadOf(unit);
  const got = await consume(decryptUnit(split(unit, [65_536]), keysFrom(prims).source, { reread: again.reread, fingerprint: gmac() }));
  expect(hex(got.bytes) === hex(plain)).toBe(true);
  expect(again.calls).toBe(0);
});

test('reread without a fingerprint: the unit is held as before, reread not called', async () => {
  const plain = randomBytes(PIECE_SIZE + 77, 6);
  const unit = encryptUnit(plain, PASS, 1, 1, 1);
  const again = rereadOf(unit);
  const got = await consume(decryptUnit(split(unit, [65_536]), keysFrom(scryptPrimitivesNode).source, { reread: again.reread }));
  expect(hex(got.bytes) === hex(plain)).toBe(true);
  expect(again.calls).toBe(0);
});
