// Property tests (fast-check): the backup-header parser and chunk-name grammar never crash on
// hostile bytes. Any input gives a value or a typed QubesBackupError; valid headers round-trip.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isQubesBackupError } from '@qubes-backup/core';
import { headerBool, headerVersion, parseBackupHeader, parseChunkName } from '@qubes-backup/qubes-common';
import { mutate, mutationOps } from '@qubes-backup/testkit';

const RUNS = { numRuns: 2000 };
const enc = new TextEncoder();

/** Runs f; a thrown error must be a typed library error (a TypeError or RangeError is a crash). */
function valueOrTyped<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!isQubesBackupError(e)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
    return undefined;
  }
}

const mutations = mutationOps(6);

const HEADER = enc.encode('version=4\nencrypted=True\ncompressed=True\ncompression-filter=gzip\nhmac-algorithm=scrypt\nbackup-id=20240612T101500-4242\n');

function checkHeader(bytes: Uint8Array): void {
  const h = valueOrTyped(() => parseBackupHeader(bytes));
  if (!h) return;
  for (const [k, v] of h) {
    expect(k).toMatch(/^[A-Za-z0-9-]+$/);
    expect(v).toMatch(/^[A-Za-z0-9-]*$/);
  }
  valueOrTyped(() => headerVersion(h));
  expect(typeof headerBool(h.get('encrypted'))).toBe('boolean');
}

describe('parseBackupHeader under fuzzing', () => {
  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), checkHeader), RUNS);
  });

  test('random text from the header alphabet and its enemies', () => {
    const ch = fc.constantFrom(...'ab09-=\n\r _.\t/é\0'.split(''), 'version', 'backup-id', 'compressed', '=True');
    fc.assert(fc.property(fc.array(ch, { maxLength: 80 }), (parts) => checkHeader(enc.encode(parts.join('')))), RUNS);
  });

  test('mutated real header', () => {
    fc.assert(fc.property(mutations, (ops) => checkHeader(mutate(HEADER, ops))), RUNS);
  });

  test('valid headers round-trip (any line ending)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9-]{0,24}$/);
    const entries = fc.uniqueArray(fc.tuple(token, value), { selector: ([k]) => k, maxLength: 12 });
    fc.assert(fc.property(entries, fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), (kv, eol, finalEol) => {
      const text = kv.map(([k, v]) => `${k}=${v}`).join(eol) + (finalEol && kv.length ? eol : '');
      expect([...parseBackupHeader(enc.encode(text))]).toEqual(kv);
    }), RUNS);
  });

  test('a duplicated key is always refused, naming backup-header', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), fc.stringMatching(/^[A-Za-z0-9-]{0,8}$/), (k, v) => {
      try {
        parseBackupHeader(enc.encode(`${k}=${v}\n${k}=${v}\n`));
        throw new Error('accepted a duplicate key');
      } catch (e) {
        expect(isQubesBackupError(e) && e.code === 'E_CORRUPT' && e.member === 'backup-header').toBe(true);
      }
    }), RUNS);
  });
});

describe('parseChunkName under fuzzing', () => {
  test('any name gives a chunk or undefined, and a chunk rebuilds its name', () => {
    const name = fc.oneof(fc.string({ maxLength: 60 }), fc.tuple(fc.string({ maxLength: 20 }), fc.nat(5000)).map(([p, n]) => `${p}.${String(n).padStart(3, '0')}.enc`));
    fc.assert(fc.property(name, fc.constantFrom('.enc', '', '.hmac'), (n, suffix) => {
      const c = valueOrTyped(() => parseChunkName(n, suffix));
      if (c) {
        expect(`${c.path}.${String(c.index).padStart(3, '0')}`.length).toBeLessThanOrEqual(n.length);
        expect(n.startsWith(c.path)).toBe(true);
        expect(Number.isSafeInteger(c.index) && c.index >= 0).toBe(true);
      }
    }), RUNS);
  });
});
