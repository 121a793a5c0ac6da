// The decompression-bomb cap (size-cap.ts) and the bounded streams under it (streams.ts), at their
// exact boundaries: the cap is what keeps an authenticated but hostile backup from filling a disk.
import { describe, expect, test } from '@jest/globals';
import type { ByteStream } from '@qubes-backup/core';
import { MAX_FILE_SIZE, backupSizeLimit, capped, limitBytes, shielded, type QubesBackupModel } from '@qubes-backup/qubes-common';
import { drain, expectCode } from '@qubes-backup/testkit';

const MiB = 2 ** 20;

/** `n` bytes in pieces of at most `piece`, counting what was pulled from it. */
function source(n: number, piece = 64 * 1024): ByteStream & { pulled: number } {
  const s = {
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      for (let o = 0; o < n; o += piece) { const k = Math.min(piece, n - o); s.pulled += k; yield new Uint8Array(k); }
    },
  };
  return s;
}

const model = (vms: { name: string; backupSize?: number }[], dom0Size?: number): Pick<QubesBackupModel, 'vms' | 'dom0Home'> => ({
  vms: vms.map((v) => ({ ...v, class: 'AppVM', netvm: { default: true }, included: true, properties: {}, features: {}, tags: [], devices: [] })),
  ...(dom0Size !== undefined ? { dom0Home: { user: 'user', backupPath: 'dom0-home/user', backupSize: dom0Size } } : {}),
});

describe('backupSizeLimit', () => {
  test('4 × backup-size + 8 MiB', () => {
    expect([backupSizeLimit(0), backupSizeLimit(1), backupSizeLimit(1000), backupSizeLimit(2 ** 40)]).toEqual([8 * MiB, 8 * MiB + 4, 8 * MiB + 4000, 2 ** 42 + 8 * MiB]);
  });
  test('a restored file may claim 16 TiB at most (ext4\'s own limit)', () => {
    expect(MAX_FILE_SIZE).toBe(2 ** 44);
  });
});

describe('capped', () => {
  const m = model([{ name: 'work', backupSize: 1000 }, { name: 'dom0', backupSize: 5 }], 92);

  test('exactly the limit of the VM passes, one byte more fails naming the stored file', async () => {
    const limit = backupSizeLimit(1000);
    expect(await drain(capped(source(limit), m, 'work', 'vm5/private.img', false))).toBe(limit);
    const e = await expectCode(drain(capped(source(limit + 1), m, 'work', 'vm5/private.img', false)), 'E_CORRUPT');
    expect(e.member).toBe('vm5/private.img');
    expect(e.message).toBe(`vm5/private.img: decompressed data far exceeds the VM's backup-size of 1000 bytes (a decompression bomb? --ignore-size-limit restores it anyway) (more than ${limit} bytes)`);
  });

  test("dom0 is capped by its home's backup-size, not by a VM entry named dom0", async () => {
    const limit = backupSizeLimit(92);
    expect(await drain(capped(source(limit), m, 'dom0', 'dom0-home/user', false))).toBe(limit);
    await expectCode(drain(capped(source(limit + 1), m, 'dom0', 'dom0-home/user', false)), 'E_CORRUPT', /backup-size of 92 bytes/);
  });

  test('the bytes before the limit are passed on; the piece crossing it is not, and nothing more is read', async () => {
    const limit = backupSizeLimit(1000);
    const s = source(limit + 10 * MiB, MiB);
    let passed = 0;
    const e = await expectCode((async () => { for await (const c of capped(s, m, 'work', 'x', false)) passed += c.length; })(), 'E_CORRUPT');
    expect(e.member).toBe('x');
    expect(passed).toBe(8 * MiB);
    expect(s.pulled).toBe(9 * MiB);
  });

  test.each([
    ['--ignore-size-limit', m, 'work', true],
    ['a VM qubes.xml does not know', m, 'other', false],
    ['a VM without backup-size', model([{ name: 'work' }]), 'work', false],
    ['a backup-size of 0', model([{ name: 'work', backupSize: 0 }]), 'work', false],
    ['a negative backup-size', model([{ name: 'work', backupSize: -5 }]), 'work', false],
    ['a backup-size that is not a number', model([{ name: 'work', backupSize: Number.NaN }]), 'work', false],
    ['an infinite backup-size', model([{ name: 'work', backupSize: Number.POSITIVE_INFINITY }]), 'work', false],
    ['dom0 without a home entry', model([{ name: 'dom0', backupSize: 5 }]), 'dom0', false],
  ] as const)('no cap: %s (the stream is passed through as it is)', (_what, mm, vm, ignore) => {
    const s = source(1);
    expect(capped(s, mm, vm, 'p', ignore)).toBe(s);
  });
});

describe('limitBytes', () => {
  test('at the limit: everything, unchanged; over it: E_CORRUPT with the limit and the member', async () => {
    expect(await drain(limitBytes(source(1000, 7), 1000, 'm', 'too much'))).toBe(1000);
    const e = await expectCode(drain(limitBytes(source(1001, 7), 1000, 'm', 'too much')), 'E_CORRUPT');
    expect([e.member, e.message]).toEqual(['m', 'm: too much (more than 1000 bytes)']);
  });
});

describe('shielded', () => {
  test('a consumer stopping early does not close the producer: rest() reads what it left', async () => {
    let closed = false;
    async function* producer(): ByteStream {
      try { for (let i = 0; i < 5; i++) yield new Uint8Array(10); } finally { closed = true; }
    }
    const s = shielded(producer());
    for await (const _ of s.stream) break;
    expect(closed).toBe(false);
    expect(await s.rest()).toBe(40);
    expect(closed).toBe(true);
    expect(s.failed).toBe(false);
    // Drained: the stream and rest() both give nothing more.
    expect(await drain(s.stream)).toBe(0);
    expect(await s.rest()).toBe(0);
  });

  test('a producer error goes to the consumer once; failed is set and rest() does not read again', async () => {
    let pulls = 0;
    const boom = new Error('bad chunk');
    const producer: ByteStream = { [Symbol.asyncIterator]: () => ({ async next() { pulls++; if (pulls > 1) throw boom; return { done: false, value: new Uint8Array(3) }; } }) };
    const s = shielded(producer);
    await expect(drain(s.stream)).rejects.toBe(boom);
    expect(s.failed).toBe(true);
    expect(await s.rest()).toBe(0);
    expect(await drain(s.stream)).toBe(0);
    expect(pulls).toBe(2);
  });

  test('the producer is never asked again once it said it was done (by the consumer or by rest())', async () => {
    /** A producer that fails the test if pulled after its end. */
    function strict(n: number): ByteStream {
      let i = 0;
      let ended = false;
      return { [Symbol.asyncIterator]: () => ({
        async next() {
          if (ended) throw new Error('next() after the end');
          if (i++ < n) return { done: false, value: new Uint8Array(4) };
          ended = true;
          return { done: true, value: undefined };
        },
      }) };
    }
    const read = shielded(strict(3));
    expect(await drain(read.stream)).toBe(12);
    expect(await read.rest()).toBe(0);
    const left = shielded(strict(3));
    for await (const _ of left.stream) break;
    expect(await left.rest()).toBe(8);
    expect(await left.rest()).toBe(0);
    expect(await drain(left.stream)).toBe(0);
  });

  test('a stream read to its end leaves no rest', async () => {
    const s = shielded(source(100, 30));
    expect(await drain(s.stream)).toBe(100);
    expect(s.failed).toBe(false);
    expect(await s.rest()).toBe(0);
  });
});
