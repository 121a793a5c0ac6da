// decryptUnit and the scrypt Mac on their own: no plaintext before the trailing MAC verified, at the
// exact size bounds, whenever the keys arrive (before, during or after the body), and with the keys
// wiped whatever happens. The Mac reads no more of the data than can still match.
import { describe, expect, test } from '@jest/globals';
import { once, type ByteStream } from '@qubes-backup/core';
import { consume, enc, failure, hex, randomBytes } from '@qubes-backup/testkit';
import { deriveKeysWith, type ScryptKeys } from '../src/keys.js';
import { makeScryptMac } from '../src/mac.js';
import { scryptPrimitivesNode as prims } from '../src/node.js';
import { DEFAULT_MAX_UNIT_SIZE, PIECE_SIZE, decryptUnit, type KeySource } from '../src/unit.js';
import { PASS, encryptUnit, split } from './helpers.js';

const PLAIN = randomBytes(3 * PIECE_SIZE + 1000, 3);
const UNIT = encryptUnit(PLAIN, PASS, 1, 1, 1);
const SMALL = enc('a small secret');
const SMALL_UNIT = encryptUnit(SMALL, PASS, 1, 1, 1);

/** Derives the real keys, keeping them to check they were wiped; `delay` holds them back for that many event-loop turns. */
function keySource(o: { delay?: number; fail?: Error } = {}) {
  const made: ScryptKeys[] = [];
  const pending: Promise<unknown>[] = [];
  const seen = { calls: 0, get wiped() { return made.filter((k) => k.wiped).length; } };
  const source: KeySource = (header) => {
    seen.calls++;
    const p = (async () => {
      for (let i = 0; i < (o.delay ?? 0); i++) await new Promise((r) => setImmediate(r));
      if (o.fail) throw o.fail;
      const keys = await deriveKeysWith(prims, header, PASS);
      made.push(keys);
      return keys;
    })();
    pending.push(p.catch(() => undefined));
    return p;
  };
  /** Every derivation settled, and the handlers waiting on them ran. */
  const settled = async () => { await Promise.all(pending); await new Promise((r) => setImmediate(r)); };
  return { source, seen, settled };
}

/** The unit in pieces of `size`; the second piece only after `turns` event-loop turns (so the KDF can finish first). */
async function* slowly(data: Uint8Array, size: number, turns = 0): ByteStream {
  for (let o = 0; o < data.length; o += size) {
    if (o === size) for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
    yield data.subarray(o, o + size);
  }
}

describe('decryptUnit', () => {
  test.each([
    ['keys before the body (derived while it is read, MAC as it arrives)', { delay: 0 }, 200],
    ['keys after the body', { delay: 200 }, 0],
  ])('%s: the same plaintext, in pieces of at most 1 MiB, keys wiped once', async (_what, o, turns) => {
    // (each case derives a key three times: logN 1 is cheap)
    for (const size of [997, 65_536, 2 * PIECE_SIZE]) {
      const k = keySource(o);
      const got = await consume(decryptUnit(slowly(UNIT, size, turns), k.source));
      expect([size, hex(got.bytes) === hex(PLAIN), got.maxPiece <= PIECE_SIZE]).toEqual([size, true, true]);
      expect([k.seen.calls, k.seen.wiped]).toEqual([1, 1]);
    }
  });

  test('a unit of exactly maxUnitSize is read; one byte more is refused before the MAC, releasing nothing', async () => {
    const k = keySource();
    expect(hex((await consume(decryptUnit(once(SMALL_UNIT), k.source, { maxUnitSize: SMALL_UNIT.length }))).bytes)).toBe(hex(SMALL));
    const over = await failure(decryptUnit(split(SMALL_UNIT, [10]), keySource().source, { maxUnitSize: SMALL_UNIT.length - 1 }));
    expect(over.error).toMatchObject({ name: 'CorruptBackupError', message: `scrypt unit is larger than the maxUnitSize limit of ${SMALL_UNIT.length - 1} bytes` });
    expect(over.released).toBe(0);
    expect(DEFAULT_MAX_UNIT_SIZE).toBe(128 * 2 ** 20);
  });

  test.each([
    ['empty', 0, 'truncated scrypt unit: 0 bytes, at least 128 needed'],
    ['not scrypt', -1, 'not a valid scrypt-encrypted block'],
    ['half a header', 50, 'truncated scrypt unit: 50 bytes, at least 128 needed'],
    ['the header alone', 96, 'truncated scrypt unit: 96 bytes, at least 128 needed'],
    ['one byte short of header + MAC', 127, 'truncated scrypt unit: 127 bytes, at least 128 needed'],
  ])('%s: CorruptBackupError "%s"', async (_what, n, message) => {
    const input = n < 0 ? enc('Salted__'.repeat(20)) : SMALL_UNIT.subarray(0, n);
    const { error, released } = await failure(decryptUnit(once(input), keySource().source));
    expect(error).toMatchObject({ name: 'CorruptBackupError', message });
    expect(released).toBe(0);
  });

  test('a flipped byte anywhere in the ciphertext or MAC: AuthenticationError, nothing released, keys wiped', async () => {
    for (const at of [96, 96 + PIECE_SIZE + 5, UNIT.length - 33, UNIT.length - 1]) {
      const bad = UNIT.slice();
      bad[at]! ^= 1;
      const k = keySource();
      const { error, released } = await failure(decryptUnit(split(bad, [65_536]), k.source));
      expect([at, (error as Error).message, released]).toEqual([at, 'scrypt HMAC does not verify (tampered or truncated)', 0]);
      expect(k.seen.wiped).toBe(1);
    }
  });

  test('a key derivation failing while the body is read ends the stream with that error', async () => {
    const boom = new Error('kdf failed');
    const k = keySource({ fail: boom });
    let pulled = 0;
    const counted = (async function* () { for await (const c of slowly(UNIT, 1000, 1)) { pulled++; yield c; } })();
    const { error, released } = await failure(decryptUnit(counted, k.source));
    expect(error).toBe(boom);
    expect(released).toBe(0);
    // The read stopped soon after the failure, not at the end of the unit.
    expect(pulled).toBeLessThan(UNIT.length / 1000);
  });

  test('keys that arrive after the stream already failed are wiped too', async () => {
    const k = keySource({ delay: 20 });
    const { error } = await failure(decryptUnit(once(SMALL_UNIT.subarray(0, 100)), k.source));
    expect(error).toMatchObject({ name: 'CorruptBackupError' });
    await k.settled();
    expect(k.seen.wiped).toBe(1);
  });

  test('keys that arrive after the input failed mid-body are wiped when they arrive', async () => {
    const k = keySource({ delay: 20 });
    const broken = (async function* () { yield SMALL_UNIT.subarray(0, 100); throw new Error('read error'); })();
    await expect(consume(decryptUnit(broken, k.source))).rejects.toThrow('read error');
    expect(k.seen.calls).toBe(1);
    await k.settled();
    expect(k.seen.wiped).toBe(1);
  });

  test('a consumer stopping after the first piece leaves the keys wiped', async () => {
    const k = keySource();
    for await (const _ of decryptUnit(once(UNIT), k.source)) break;
    expect(k.seen.wiped).toBe(1);
  });

  test('an abort during the plaintext stops it; onProgress counts the header, then each piece read', async () => {
    const ac = new AbortController();
    const progress: number[] = [];
    const it = decryptUnit(split(UNIT, [PIECE_SIZE]), keySource().source, { signal: ac.signal, onProgress: (n) => progress.push(n) })[Symbol.asyncIterator]();
    await it.next();
    expect(progress[0]).toBe(96);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(UNIT.length);
    ac.abort(new Error('user stop'));
    await expect(it.next()).rejects.toThrow('user stop');
  });

  test('maxUnitSize below header + MAC is a usage error naming the option', async () => {
    const { error } = await failure(decryptUnit(once(SMALL_UNIT), keySource().source, { maxUnitSize: 127 }));
    expect((error as Error).message).toBe('maxUnitSize must be in [128, 9007199254740991], got 127');
    expect((error as { code?: string }).code).toBeUndefined();
  });
});

describe('the scrypt Mac (backup-header.hmac)', () => {
  const mac = makeScryptMac(prims);
  const HEADER = enc('version=4\nbackup-id=x\n');
  const TAG = encryptUnit(HEADER, enc('backup-header!qubes'), 1, 1, 1);
  const KEY = enc('backup-header!qubes');

  test('reads at most one byte more than the tag holds: a longer (endless) data stream is refused early', async () => {
    let pulled = 0;
    async function* endless(): ByteStream { for (;;) { pulled++; yield HEADER; } }
    await expect(mac.verify(endless(), TAG, KEY)).rejects.toMatchObject({ name: 'AuthenticationError', message: 'data does not match its scrypt-encrypted copy (scrypt MAC does not verify)' });
    expect(pulled).toBe(2);
  });

  test('the same bytes in any pieces verify; onProgress counts them; a shorter copy does not', async () => {
    let n = 0;
    await mac.verify(split(HEADER, [1, 3]), TAG, KEY, { onProgress: (d) => { n += d; } });
    expect(n).toBe(HEADER.length);
    await expect(mac.verify(once(HEADER.subarray(0, HEADER.length - 1)), TAG, KEY)).rejects.toMatchObject({ name: 'AuthenticationError' });
    await expect(mac.verify(once(new Uint8Array(0)), TAG, KEY)).rejects.toMatchObject({ name: 'AuthenticationError' });
  });

  test('an aborted signal stops it', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(mac.verify(once(HEADER), TAG, KEY, { signal: ac.signal })).rejects.toThrow('stop');
  });

  test('a tag or key that is not bytes is a TypeError naming it', async () => {
    await expect(mac.verify(once(HEADER), 'tag' as unknown as Uint8Array, KEY)).rejects.toThrow('tag must be a Uint8Array');
    await expect(mac.verify(once(HEADER), TAG, 'key' as unknown as Uint8Array)).rejects.toThrow('key must be a Uint8Array');
  });

  test('its maxUnitSize bounds the tag, with or without a signal', async () => {
    const small = makeScryptMac(prims, { maxUnitSize: TAG.length - 1 });
    await expect(small.verify(once(HEADER), TAG, KEY)).rejects.toMatchObject({ name: 'CorruptBackupError', message: expect.stringContaining('maxUnitSize') });
    await expect(small.verify(once(HEADER), TAG, KEY, { signal: new AbortController().signal })).rejects.toMatchObject({ name: 'CorruptBackupError' });
    await makeScryptMac(prims, { maxUnitSize: TAG.length }).verify(once(HEADER), TAG, KEY, { signal: new AbortController().signal });
  });
});
