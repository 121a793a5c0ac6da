// Format 4 stores each file as chunks <path>.000.enc, .001.enc, … in order, each file once. No MAC
// covers the list of members, so the order rules are all that stops a dropped, repeated or
// reordered chunk: each must be refused, naming the chunk (or the file) where it was noticed.
import { describe, expect, test } from '@jest/globals';
import { expectCode, verifyBytes } from '@qubes-backup/testkit';
import { fixtureBytes, insertAfter, pick, registry, swap, tampered, without } from './_v4.js';

// work (vm5): private.img in chunks .000-.003 and firewall.xml; personal (vm6): private.img .000-.002, notes.txt; dom0.
const MULTI = 'v4-gnu-sparse-multichunk';
const IMG = 'vm5/private.img';
const verify = (bytes: Uint8Array, vms?: string[]) => verifyBytes(bytes, { registry, ...(vms ? { vms } : {}) });

describe('format 4: each stored file is its chunks in order, stored once', () => {
  test('the fixture rewritten by the outer-tar helpers, untouched, verifies (the refusals below are the tampering)', async () => {
    const report = await verify(await tampered(MULTI, () => undefined));
    expect(report.units.map((u) => [u.name, u.status])).toEqual([['work', 'ok'], ['personal', 'ok'], ['dom0', 'ok']]);
    // And the original file as the tools wrote it.
    expect((await verify(fixtureBytes(MULTI))).ok).toBe(true);
  });

  test('a chunk missing in the middle: refused, naming the chunk found in its place', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => without(ms, `${IMG}.001.enc`))), 'E_CORRUPT', /expected vm5\/private\.img\.001\.enc/);
    expect(e.member).toBe(`${IMG}.002.enc`);
  });

  test('the first chunk missing: refused at the second', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => without(ms, `${IMG}.000.enc`))), 'E_CORRUPT', /expected vm5\/private\.img\.000\.enc/);
    expect(e.member).toBe(`${IMG}.001.enc`);
  });

  test('the last chunk missing: the stored file ends early, and the error names it', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => without(ms, `${IMG}.003.enc`))), 'E_CORRUPT');
    expect(e.member).toBe(IMG);
  });

  test('two chunks swapped: refused at the first out of place', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => swap(ms, `${IMG}.001.enc`, `${IMG}.002.enc`))), 'E_CORRUPT',
      /unexpected chunk, expected vm5\/private\.img\.001\.enc \(missing, duplicated or reordered chunk\)/);
    expect(e.member).toBe(`${IMG}.002.enc`);
  });

  test('a chunk stored twice in a row: refused at the repeat', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => insertAfter(ms, `${IMG}.001.enc`, pick(ms, `${IMG}.001.enc`)))),
      'E_CORRUPT', /expected vm5\/private\.img\.002\.enc/);
    expect(e.member).toBe(`${IMG}.001.enc`);
  });

  test('chunk contents swapped under the right names: each chunk is keyed by its own name, so it fails to authenticate', async () => {
    const bytes = await tampered(MULTI, (ms) => {
      const a = pick(ms, `${IMG}.001.enc`);
      const b = pick(ms, `${IMG}.002.enc`);
      [a.data, b.data] = [b.data, a.data];
    });
    const e = await expectCode(verify(bytes), 'E_AUTH', /does not authenticate under its own name/);
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe(`${IMG}.001.enc`);
  });

  test('a file stored twice (its chunk again after another file): refused naming the repeat', async () => {
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm6/notes.txt.000.enc', pick(ms, 'vm5/firewall.xml.000.enc')));
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /file stored twice in the backup/);
    expect(e.member).toBe('vm5/firewall.xml.000.enc');
  });

  test("a file stored twice is refused even when its VM is not selected (the check precedes the selection)", async () => {
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm6/notes.txt.000.enc', pick(ms, 'vm5/firewall.xml.000.enc')));
    const e = await expectCode(verify(bytes, ['personal']), 'E_CORRUPT', /file stored twice/);
    expect(e.member).toBe('vm5/firewall.xml.000.enc');
  });

  test('qubes.xml stored again later is a file stored twice', async () => {
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm5/firewall.xml.000.enc', pick(ms, 'qubes.xml.000.enc')));
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /file stored twice/);
    expect(e.member).toBe('qubes.xml.000.enc');
  });

  test('a member that is not a chunk <name>.NNN.enc is refused', async () => {
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm5/firewall.xml.000.enc', { name: 'vm5/notes', data: new Uint8Array(10) }));
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /invalid file extension/);
    expect(e.member).toBe('vm5/notes');
    // The same after a file of a VM that is not selected (read past without decrypting).
    const past = await expectCode(verify(bytes, ['personal']), 'E_CORRUPT', /invalid file extension/);
    expect(past.member).toBe('vm5/notes');
  });

  test('qubes.xml.000.enc must follow the header', async () => {
    const e = await expectCode(verify(await tampered(MULTI, (ms) => without(ms, 'qubes.xml.000.enc'))), 'E_CORRUPT', /qubes\.xml\.000\.enc is missing/);
    expect(e.member).toBe(`${IMG}.000.enc`);
  });

  test("every chunk of a VM's private.img dropped: the VM's missing image is named", async () => {
    const bytes = await tampered(MULTI, (ms) => without(ms, 'vm6/private.img.000.enc', 'vm6/private.img.001.enc', 'vm6/private.img.002.enc'));
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /VM 'personal' has no private\.img/);
    expect(e.member).toBe('vm6/private.img');
  });

  test('every member of a VM dropped: no data for that VM', async () => {
    const bytes = await tampered(MULTI, (ms) => ms.filter((m) => !m.name.startsWith('vm6/')));
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /no data for VM 'personal'/);
    expect(e.member).toBe('vm6/');
  });
});
