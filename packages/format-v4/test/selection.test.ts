// Selecting VMs decides what is decrypted: an unselected VM's chunks are read past (a pipe is
// still read through them) but never reach scrypt, neither to decrypt nor to derive a key ahead.
import { describe, expect, test } from '@jest/globals';
import type { Cipher } from '@qubes-backup/core';
import { formatV4 } from '@qubes-backup/format-v4';
import { nullSink, openBackup, runArchives } from '@qubes-backup/restore';
import { memorySource, openWithFormat, registryWithCipher, restoreTo } from '@qubes-backup/testkit';
import { fixtureBytes, fixturePath } from './_v4.js';

const MULTI = 'v4-gnu-sparse-multichunk';

/** The chunk stem a scrypt passphrase `<backup-id>!<stem>!<passphrase>` is for. */
const stemOf = (pass: Uint8Array): string => new TextDecoder().decode(pass).split('!')[1]!;

/** The v4 parts with a scrypt cipher that records, by chunk stem, every decryption and every key derived ahead. */
function spied() {
  const decrypted: string[] = [];
  const prepared: string[] = [];
  const registry = registryWithCipher(formatV4, 'scrypt', (real: Cipher): Cipher => ({
    ...real,
    decrypt: (data, pass, opts) => { decrypted.push(stemOf(pass)); return real.decrypt(data, pass, opts); },
    prepare: async (head, pass, opts) => { prepared.push(stemOf(pass)); return real.prepare!(head, pass, opts); },
  }));
  return { registry, decrypted, prepared, all: () => [...new Set([...decrypted, ...prepared])].sort() };
}

const PERSONAL = ['qubes.xml.000', 'vm6/notes.txt.000', 'vm6/private.img.000', 'vm6/private.img.001', 'vm6/private.img.002'];

describe('format 4: only the selected VMs are decrypted', () => {
  test('from a file, with keys derived ahead on 4 cores: only qubes.xml and personal', async () => {
    const s = spied();
    const opened = await openWithFormat(formatV4, fixturePath(MULTI), { registry: s.registry, resources: { cores: 4, memory: 2 ** 30 } });
    const report = await runArchives(opened, nullSink(), { units: ['personal'] });
    expect(report.units).toEqual([expect.objectContaining({ name: 'personal', status: 'ok', archives: 2 })]);
    expect(s.all()).toEqual(PERSONAL);
    // The look-ahead did derive keys (else this test would not cover it), and only the chosen ones.
    expect(s.prepared.filter((x) => x !== 'qubes.xml.000').length).toBeGreaterThan(0);
  });

  test('from a pipe (no look-ahead): the same, and the other chunks are read through without decrypting', async () => {
    const s = spied();
    const bytes = fixtureBytes(MULTI);
    let read = 0;
    const pipe = memorySource(bytes, { seekable: false });
    const counting = { ...pipe, stream: (offset?: number) => (async function* () { for await (const c of pipe.stream(offset)) { read += c.length; yield c; } })() };
    const opened = await openBackup(counting, { passphrase: 'qubes', registry: s.registry });
    await runArchives(opened, nullSink(), { units: ['personal'] });
    expect(s.prepared).toEqual([]);
    expect(s.decrypted.sort()).toEqual(PERSONAL);
    expect(read).toBe(bytes.length);
  });

  test('dom0 alone: only qubes.xml and dom0-home/user are decrypted, and dom0 home restores', async () => {
    const s = spied();
    const r = await restoreTo(fixturePath(MULTI), { registry: s.registry, vms: ['dom0'] });
    try {
      expect(s.all()).toEqual(['dom0-home/user.000', 'qubes.xml.000']);
    } finally {
      r.cleanup();
    }
  });

  test('one archive of a VM (extract --vm work of private.img only): the other files of work are not decrypted', async () => {
    const s = spied();
    const opened = await openWithFormat(formatV4, fixturePath(MULTI), { registry: s.registry, resources: { cores: 2, memory: 2 ** 30 } });
    await runArchives(opened, nullSink(), { units: ['work'], archives: (a) => a.path === 'vm5/private.img' });
    expect(s.all()).toEqual(['qubes.xml.000', 'vm5/private.img.000', 'vm5/private.img.001', 'vm5/private.img.002', 'vm5/private.img.003']);
  });

  test('everything selected: every chunk is decrypted exactly once', async () => {
    const s = spied();
    const opened = await openWithFormat(formatV4, fixturePath(MULTI), { registry: s.registry, resources: { cores: 2, memory: 2 ** 30 } });
    await runArchives(opened, nullSink(), {});
    const used = [...s.decrypted, ...s.prepared];
    expect(used.length).toBe(new Set(used).size);
    expect(new Set(used).size).toBe(11); // every .enc member of the fixture
  });
});
