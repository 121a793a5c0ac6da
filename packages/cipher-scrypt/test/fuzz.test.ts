// Property tests (fast-check): the scrypt container header parser and the whole decryptor on
// random and mutated units. Any input gives a value or a typed QubesBackupError (never a TypeError
// or RangeError), a damaged unit never releases plaintext, and an intact unit round-trips.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mutate, mutationOps } from '@qubes-backup/testkit';
import { isQubesBackupError, type ByteStream } from '@qubes-backup/core';
import { createScryptCipher, parseScryptHeader, SCRYPT_HEADER_SIZE } from '@qubes-backup/cipher-scrypt';
import { encryptUnit, fixture, PASS } from './helpers.js';

const RUNS = { numRuns: 2000 };

function typed(e: unknown): void {
  if (!isQubesBackupError(e)) throw e;
  expect(e.message).not.toMatch(/[\r\n]/);
}

const mutations = mutationOps(4);

async function* pieces(bytes: Uint8Array, size: number): ByteStream {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

// N = 2 keeps a derivation in microseconds, so thousands of whole decryptions stay fast.
const PLAIN = new TextEncoder().encode('The plaintext of a fuzzed scrypt unit, long enough for two pieces.\n'.repeat(4));
const UNIT = encryptUnit(PLAIN, PASS, 1, 1, 1);
const cipher = createScryptCipher({ maxmem: 64 << 20 });

/** Decrypts; returns the plaintext, or undefined after a typed error (no bytes released then). */
async function decrypt(unit: Uint8Array, piece: number): Promise<Uint8Array | undefined> {
  const out: Uint8Array[] = [];
  try {
    for await (const p of cipher.decrypt(pieces(unit, piece), PASS)) out.push(p);
  } catch (e) {
    typed(e);
    // Authenticate-then-release: a unit that fails gives nothing at all.
    expect(out.reduce((a, p) => a + p.length, 0)).toBe(0);
    return undefined;
  }
  return Buffer.concat(out);
}

describe('parseScryptHeader under fuzzing', () => {
  test('random 96-byte heads (and shorter ones)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: SCRYPT_HEADER_SIZE }), (head) => {
      try {
        const h = parseScryptHeader(head);
        expect(h.N).toBe(2 ** h.logN);
        expect(h.salt.length).toBe(32);
        expect(Number.isFinite(h.memory)).toBe(true);
      } catch (e) { typed(e); }
    }), RUNS);
  });

  test('mutated real headers (scrypt 1.3.1 files)', () => {
    const heads = ['short.scrypt', 'short-r4-p2.scrypt', 'backup-header.hmac'].map((n) => fixture(n).subarray(0, SCRYPT_HEADER_SIZE));
    fc.assert(fc.property(fc.nat(heads.length - 1), mutations, (i, ops) => {
      try { parseScryptHeader(mutate(heads[i]!, ops, 64)); } catch (e) { typed(e); }
    }), RUNS);
  });

  test('parameter bytes set to extremes (logN, r, p)', () => {
    const head = fixture('short.scrypt').subarray(0, SCRYPT_HEADER_SIZE);
    const byte = fc.constantFrom(0, 1, 2, 30, 31, 63, 64, 127, 128, 255);
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 6, max: 15 }), byte), { minLength: 1, maxLength: 6 }), (edits) => {
      const b = Uint8Array.from(head);
      for (const [at, v] of edits) b[at] = v;
      try { parseScryptHeader(b); } catch (e) { typed(e); }
    }), RUNS);
  });
});

describe('scrypt decrypt under fuzzing', () => {
  test('an intact unit round-trips at any piece size', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 400 }), async (piece) => {
      expect(Buffer.from((await decrypt(UNIT, piece))!).equals(Buffer.from(PLAIN))).toBe(true);
    }), { numRuns: 200 });
  });

  test('mutated units fail typed and release nothing', async () => {
    let refused = 0;
    await fc.assert(fc.asyncProperty(mutations, fc.constantFrom(1, 17, 96, 4096), async (ops, piece) => {
      const m = mutate(UNIT, ops, 64);
      const got = await decrypt(m, piece);
      if (got === undefined) { refused++; return; }
      // A mutation that decrypts must have changed nothing that matters: same plaintext.
      expect(Buffer.from(got).equals(Buffer.from(PLAIN))).toBe(true);
    }), RUNS);
    // Nearly every mutation breaks the unit: the refusals above were exercised, not skipped.
    expect(refused).toBeGreaterThan(RUNS.numRuns / 2);
  });

  test('random bytes behind a valid head', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (tail) => {
      expect(await decrypt(Buffer.concat([UNIT.subarray(0, SCRYPT_HEADER_SIZE), tail]), 64)).toBeUndefined();
    }), RUNS);
  });
});
