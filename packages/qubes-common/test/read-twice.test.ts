// Formats 2 and 3 over a local file: a chunk is read twice (HMAC and fingerprints, then its bytes)
// instead of held until its .hmac verifies; bytes that differ the second time are never passed on.
import { describe, expect, test } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { Registry, type ByteStream, type Mac, type Member } from '@qubes-backup/core';
import { ChunkSequence, MemberCursor, windowPrints } from '@qubes-backup/qubes-common';
import { fingerprintNode } from '@qubes-backup/hash/node';
import { fingerprintPortable } from '@qubes-backup/hash';
import { enc, fakeMember, memberStream, rejection } from '@qubes-backup/testkit';
import { createHmacMac } from '@qubes-backup/mac-hmac/node';

const PASS = enc('qubes');
const mac: Mac = createHmacMac({ name: 'sha512', backend: 'node' });
const MiB = 2 ** 20;
const prints = windowPrints(new Registry().use(fingerprintNode))!;

/** How a chunk member was read: its body (the held path) and each read again. */
interface Reads { body: number; again: number }

/** A chunk that can be read again; `second` gives what the reads after the first one see. */
function chunk(path: string, data: Uint8Array, reads: Reads, second: (d: Uint8Array) => Uint8Array = (d) => d, piece = 64 * 1024): Member {
  const m = fakeMember(path, async function* () { reads.body++; yield data; });
  const pieces = async function* (d: Uint8Array): ByteStream { for (let o = 0; o < d.length; o += piece) yield d.subarray(o, o + piece); };
  return { ...m, size: data.length, reread: () => { reads.again++; return pieces(reads.again === 1 ? data : second(data)); } };
}

function tagOf(path: string, data: Uint8Array): Member {
  return fakeMember(`${path}.hmac`, enc(`SHA2-512(stdin)= ${createHmac('sha512', Buffer.from(PASS)).update(data).digest('hex')}\n`));
}

const sequence = (members: Member[], withPrints = true) =>
  new ChunkSequence({ cursor: new MemberCursor(memberStream(members)), mac, passphrase: PASS, ...(withPrints ? { prints } : {}) }, 'vm5/a');

async function read(s: ChunkSequence, got: Uint8Array[] = []): Promise<Buffer> {
  for await (const c of s.stream()) got.push(c);
  return Buffer.concat(got);
}

describe('a chunk of a local file is read twice, never held', () => {
  test('the reads get the caller\'s signal; a consumer that stops early ends the second read (its source closed)', async () => {
    const data = randomBytes(3 * MiB);
    const signals: (AbortSignal | undefined)[] = [];
    let closed = 0;
    const m: Member = {
      ...fakeMember('vm5/a.000', async function* () { yield data; }), size: data.length,
      reread: (opts) => {
        signals.push(opts?.signal);
        return (async function* () { try { for (let o = 0; o < data.length; o += MiB) yield data.subarray(o, o + MiB); } finally { closed++; } })();
      },
    };
    const signal = new AbortController().signal;
    const s = new ChunkSequence({ cursor: new MemberCursor(memberStream([m, tagOf('vm5/a.000', data)])), mac, passphrase: PASS, prints, opts: { signal } }, 'vm5/a');
    for await (const w of s.stream()) { expect(w.length).toBe(MiB); break; }
    expect(signals).toEqual([signal, signal]);
    expect(closed).toBe(2);
  });

  test('a chunk of exactly 128 MiB is read twice; one byte more is refused before any read', async () => {
    const max = 128 * MiB;
    const zeros = new Uint8Array(MiB);
    const tag = createHmac('sha512', Buffer.from(PASS));
    for (let o = 0; o < max; o += MiB) tag.update(zeros);
    const hex = tag.digest('hex');
    for (const size of [max, max + 1]) {
      let reads = 0;
      const m: Member = {
        ...fakeMember('vm5/a.000', async function* () { throw new Error('the body was read'); }), size,
        reread: () => { reads++; return (async function* () { for (let o = 0; o < size; o += MiB) yield zeros.subarray(0, Math.min(MiB, size - o)); })(); },
      };
      const s = new ChunkSequence({ cursor: new MemberCursor(memberStream([m, fakeMember('vm5/a.000.hmac', enc(`SHA2-512(stdin)= ${hex}\n`))])), mac, passphrase: PASS, prints }, 'vm5/a');
      if (size === max) {
        let n = 0;
        for await (const w of s.stream()) n += w.length;
        expect([n, reads]).toEqual([max, 2]);
      } else {
        await expect(read(s)).rejects.toMatchObject({ code: 'E_CORRUPT', member: 'vm5/a.000', message: expect.stringContaining('larger than 128 MiB') });
        expect(reads).toBe(0);
      }
    }
  });

  test.each([[1 * MiB], [3 * MiB + 5], [4 * MiB]])('%i bytes: the same bytes, the body never read, two reads', async (n) => {
    const data = randomBytes(n);
    const reads = { body: 0, again: 0 };
    const out = await read(sequence([chunk('vm5/a.000', data, reads), tagOf('vm5/a.000', data)]));
    expect(out.equals(data)).toBe(true);
    expect(reads).toEqual({ body: 0, again: 2 });
  });

  test('pieces cut anywhere (7 bytes) give the same windows', async () => {
    const data = randomBytes(MiB + 3);
    const reads = { body: 0, again: 0 };
    const out = await read(sequence([chunk('vm5/a.000', data, reads, undefined, 7 * 1024 + 7), tagOf('vm5/a.000', data)]));
    expect(out.equals(data)).toBe(true);
  });

  test('a tampered chunk fails its HMAC in the first read: E_AUTH, nothing passed on, no second read', async () => {
    const data = randomBytes(2 * MiB);
    const stored = Uint8Array.from(data);
    stored[MiB + 9]! ^= 1;
    const reads = { body: 0, again: 0 };
    const got: Uint8Array[] = [];
    const e = await rejection(read(sequence([chunk('vm5/a.000', stored, reads), tagOf('vm5/a.000', data)]), got));
    expect(e).toMatchObject({ code: 'E_AUTH', member: 'vm5/a.000' });
    expect(got).toEqual([]);
    expect(reads.again).toBe(1);
  });

  test.each([
    ['a byte changed in the third window', (d: Uint8Array) => { const c = Uint8Array.from(d); c[2 * MiB + 1]! ^= 0x80; return c; }, 2],
    ['the last window changed', (d: Uint8Array) => { const c = Uint8Array.from(d); c[c.length - 1]! ^= 1; return c; }, 3],
    ['cut short by a window', (d: Uint8Array) => d.subarray(0, 3 * MiB), 3],
    ['cut short inside a window', (d: Uint8Array) => d.subarray(0, MiB + 100), 1],
    ['empty', () => new Uint8Array(0), 0],
  ])('read again differently (%s): E_AUTH naming the chunk, only the windows before passed on', async (_what, second, passed) => {
    const data = randomBytes(3 * MiB + 77);
    const reads = { body: 0, again: 0 };
    const got: Uint8Array[] = [];
    const e = await rejection(read(sequence([chunk('vm5/a.000', data, reads, second), tagOf('vm5/a.000', data)]), got));
    expect(e).toMatchObject({ code: 'E_AUTH', member: 'vm5/a.000' });
    expect(e.message).toContain('changed while being read');
    expect(Buffer.concat(got).equals(data.subarray(0, passed * MiB))).toBe(true);
  });

  test('read again longer (a window more than the first read had): E_AUTH, the first read\'s windows passed on', async () => {
    const data = randomBytes(2 * MiB);
    const reads = { body: 0, again: 0 };
    const got: Uint8Array[] = [];
    const longer = (d: Uint8Array) => Buffer.concat([d, randomBytes(MiB)]);
    const e = await rejection(read(sequence([chunk('vm5/a.000', data, reads, longer), tagOf('vm5/a.000', data)]), got));
    expect(e).toMatchObject({ code: 'E_AUTH', member: 'vm5/a.000' });
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });

  test('without a fingerprint in the registry, or below 1 MiB, the chunk is held: one read of its body', async () => {
    const big = randomBytes(2 * MiB);
    const small = randomBytes(MiB - 1);
    for (const [data, withPrints] of [[big, false], [small, true]] as const) {
      const reads = { body: 0, again: 0 };
      expect((await read(sequence([chunk('vm5/a.000', data, reads), tagOf('vm5/a.000', data)], withPrints))).equals(data)).toBe(true);
      expect(reads).toEqual({ body: 1, again: 0 });
    }
    expect(windowPrints(new Registry())).toBeUndefined();
  });

  test.each([['node', fingerprintNode], ['portable', fingerprintPortable]] as const)('%s fingerprints: each chunk its own key; a changed bit, another digest', (_backend, d) => {
    const fresh = windowPrints(new Registry().use(d))!;
    const w = randomBytes(MiB);
    const f = fresh();
    const digest = Buffer.from(f(w));
    expect(digest.length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(f(w)).equals(digest)).toBe(true);
    expect(Buffer.from(fresh()(w)).equals(digest)).toBe(false);
    const changed = Uint8Array.from(w);
    changed[MiB - 1]! ^= 0x40;
    expect(Buffer.from(f(changed)).equals(digest)).toBe(false);
    expect(Buffer.from(f(w.subarray(0, MiB - 1))).equals(digest)).toBe(false);
  });
});
