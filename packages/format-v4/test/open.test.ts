// What format 4 claims and how it opens: detect() from the first bytes, the model from the
// authenticated header and qubes.xml, and the members a stored file may have around its chunks.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupInput } from '@qubes-backup/core';
import { formatV4 } from '@qubes-backup/format-v4';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { nullSink, openBackup, runArchives } from '@qubes-backup/restore';
import { enc, expectCode, memorySource, openWithFormat, randomBytes, registryWithCipher, v4Chunk, verifyBytes, writeOuter } from '@qubes-backup/testkit';
import { gzipSync } from 'node:zlib';
import { BACKUP_ID, fixtureBytes, fixturePath, insertAfter, pick, registry, tampered } from './_v4.js';

const MULTI = 'v4-gnu-sparse-multichunk';
const plugin = formatV4.create();
const detect = (bytes: Uint8Array) => plugin.detect({ kind: 'file', source: memorySource(bytes) }, { registry, head: bytes });
const withHeader = (text: string) => writeOuter([{ name: 'backup-header', data: enc(text) }, { name: 'backup-header.hmac', data: enc('x') }]);

test('format 4 is named v4 and takes the options that apply to it: --compression-filter and --ignore-size-limit', () => {
  expect([formatV4.kind, formatV4.name]).toEqual(['format', 'v4']);
  expect(formatV4.options?.map((o) => o.name).sort()).toEqual(['compression-filter', 'ignore-size-limit']);
});

describe('detect', () => {
  test.each([
    ['version=4', true], ['version=5', true], ['version=10', true], ['version=x', true], ['version=', true],
    ['version=3', false], ['version=2', false], ['encrypted=True', false],
    // Unreadable versions are claimed (to say plainly which version it is); a number below 4 however written is not.
    ['version=3a', true], ['version=a3', true], ['version=03', false],
  ])('a backup-header saying %j: %s', async (line, want) => {
    expect(await detect(withHeader(`${line}\nhmac-algorithm=scrypt\n`))).toBe(want);
  });

  test('a real format-4 backup is claimed; header-less format 2, other tars and folders are not', async () => {
    expect(await detect(fixtureBytes('v4-sample'))).toBe(true);
    expect(await detect(writeOuter([{ name: 'qubes.xml.000', data: enc('x') }]))).toBe(false);
    expect(await detect(writeOuter([{ name: 'README', data: enc('x') }]))).toBe(false);
    const dir: BackupInput = { kind: 'directory', dir: { name: 'x', list: async () => [], file: async () => { throw new Error('none'); } } };
    expect(await plugin.detect(dir, { registry, head: fixtureBytes('v4-sample') })).toBe(false);
  });
});

describe('open', () => {
  test('the model: the authenticated header, qubes.xml\'s VMs, dom0\'s home', async () => {
    const o = await openBackup(fixturePath('v4-sample'), { passphrase: 'qubes', registry });
    const m = o.info as QubesBackupModel;
    expect({ format: m.format, version: m.version, encrypted: m.encrypted, compressed: m.compressed, filter: m.compressionFilter, authenticated: m.authenticated })
      .toEqual({ format: 'v4', version: 4, encrypted: true, compressed: true, filter: 'gzip', authenticated: true });
    expect(m.header).toEqual({
      version: '4', encrypted: 'True', compressed: 'True', 'compression-filter': 'gzip', 'hmac-algorithm': 'scrypt', 'backup-id': '20240612T101500-4242',
    });
    expect(m.units.filter((u) => u.present).map((u) => u.name)).toEqual(['work', 'dom0']);
    expect(m.units.length).toBe(7);
    expect(m.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 92 });
    expect(Object.keys(m.globals).length).toBeGreaterThan(0);
    expect(o.display.fields[0]).toEqual(['Format', '4']);
    expect(o.image?.('work', 'private')?.archive({ unit: 'work', path: 'vm5/private.img' })).toBe(true);
  });

  test('an uncompressed backup (compressed=False) keeps its filter name but decodes nothing', async () => {
    const o = await openBackup(fixturePath('v4-templates-root'), { passphrase: 'qubes', registry });
    expect([(o.info as QubesBackupModel).compressed, (o.info as QubesBackupModel).compressionFilter]).toEqual([false, 'gzip']);
  });

  test('a backup holding only its header: qubes.xml.000.enc is missing', async () => {
    const e = await expectCode(verifyBytes(await tampered('v4-sample', (ms) => ms.slice(0, 2)), { registry }), 'E_CORRUPT', /qubes\.xml\.000\.enc is missing after the backup header/);
    expect(e.member).toBe('qubes.xml.000.enc');
  });

  test('a member after the header that is no chunk name: qubes.xml.000.enc is missing (named), not a crash', async () => {
    const bytes = await tampered('v4-sample', (ms) => [...ms.slice(0, 2), { name: 'README', data: enc('x') }, ...ms.slice(2)]);
    const e = await expectCode(verifyBytes(bytes, { registry }), 'E_CORRUPT', /qubes\.xml\.000\.enc is missing after the backup header/);
    expect(e.member).toBe('README');
  });

  test('qubes.xml.000.enc whose inner tar holds no qubes.xml: refused naming the stored file', async () => {
    const inner = gzipSync(writeOuter([{ name: 'other.xml', data: enc('<x/>') }]));
    const bytes = await tampered('v4-sample', (ms) => { pick(ms, 'qubes.xml.000.enc').data = v4Chunk(inner, { backupId: BACKUP_ID, stem: 'qubes.xml.000' }); });
    const e = await expectCode(verifyBytes(bytes, { registry }), 'E_CORRUPT', /does not contain 'qubes\.xml'/);
    expect(e.member).toBe('qubes.xml.000.enc');
  });

  test('archives asked for with an aborted signal: decoding stops with AbortError', async () => {
    const o = await openBackup(fixturePath('v4-sample'), { passphrase: 'qubes', registry });
    const ac = new AbortController();
    ac.abort();
    await expect((async () => {
      for await (const a of o.archives(() => true, { signal: ac.signal })) for await (const _ of a.members()) { /* nothing may come */ }
    })()).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('an inner archive read with an aborted signal stops with AbortError', async () => {
    const o = await openBackup(fixturePath('v4-sample'), { passphrase: 'qubes', registry });
    const ac = new AbortController();
    ac.abort();
    let archives = 0;
    await expect((async () => {
      for await (const a of o.archives(() => true)) {
        archives++;
        for await (const _ of a.members({ signal: ac.signal })) { /* nothing may come */ }
      }
    })()).rejects.toMatchObject({ name: 'AbortError' });
    expect(archives).toBe(1);
  });

  test('header-less (format 2) given to format 4 directly: refused, it needs a header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbt-v4-'));
    try {
      writeFileSync(join(dir, 'b'), writeOuter([{ name: 'qubes.xml.000', data: enc('x') }]));
      await expectCode(openWithFormat(formatV4, join(dir, 'b'), { registry }), 'E_CORRUPT', /only format 2 backups have none/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('members around the chunks', () => {
  test('a stored file of no VM is read past without being decrypted', async () => {
    const decrypted: string[] = [];
    const reg = registryWithCipher(formatV4, 'scrypt', (real) => ({ ...real, decrypt: (d, pass, o) => { decrypted.push(new TextDecoder().decode(pass).split('!')[1]!); return real.decrypt(d, pass, o); } }));
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm5/firewall.xml.000.enc', { name: 'vm77/x.000.enc', data: pick(ms, 'vm5/firewall.xml.000.enc').data }));
    const opened = await openBackup(memorySource(bytes, { seekable: false }), { passphrase: 'qubes', registry: reg });
    expect((await runArchives(opened, nullSink(), {})).ok).toBe(true);
    expect(decrypted).not.toContain('vm77/x.000');
    expect(decrypted.length).toBe(11);
  });

  test('a chunk after the inner tar\'s end is still decrypted and authenticated', async () => {
    // firewall.xml's tar ends in its chunk .000; a .001 (another chunk's bytes) follows it.
    const bytes = await tampered(MULTI, (ms) => insertAfter(ms, 'vm5/firewall.xml.000.enc', { name: 'vm5/firewall.xml.001.enc', data: pick(ms, 'vm5/firewall.xml.000.enc').data }));
    const e = await expectCode(verifyBytes(bytes, { registry }), 'E_AUTH', /does not authenticate under its own name/);
    expect(e.member).toBe('vm5/firewall.xml.001.enc');
  });

  test('a chunk that is no scrypt unit: refused naming the chunk', async () => {
    const bytes = await tampered(MULTI, (ms) => { pick(ms, 'vm5/private.img.001.enc').data = randomBytes(20_000, 9); });
    const e = await expectCode(verifyBytes(bytes, { registry }), 'E_CORRUPT');
    expect(e.member).toBe('vm5/private.img.001.enc');
  });

  test('keep going: a VM whose chunk fails is skipped to its end, the VMs after it are restored', async () => {
    const bytes = await tampered(MULTI, (ms) => {
      const a = pick(ms, 'vm5/private.img.001.enc');
      const b = pick(ms, 'vm5/private.img.002.enc');
      [a.data, b.data] = [b.data, a.data];
    });
    const opened = await openBackup(memorySource(bytes), { passphrase: 'qubes', registry });
    const report = await runArchives(opened, nullSink(), { keepGoing: true });
    expect(report.units.map((u) => [u.name, u.status, u.failingMember])).toEqual([
      ['work', 'failed', 'vm5/private.img.001.enc'], ['personal', 'ok', undefined], ['dom0', 'ok', undefined],
    ]);
  });

  test('every chunk passphrase handed to scrypt is wiped once its chunk is read', async () => {
    const given: Uint8Array[] = [];
    const reg = registryWithCipher(formatV4, 'scrypt', (real) => ({ ...real, decrypt: (d, pass, o) => { given.push(pass); return real.decrypt(d, pass, o); } }));
    const opened = await openBackup(memorySource(fixtureBytes(MULTI), { seekable: false }), { passphrase: 'qubes', registry: reg });
    await runArchives(opened, nullSink(), {});
    expect(given.length).toBe(11);
    expect(given.filter((p) => p.some((b) => b !== 0)).length).toBe(0);
  });
});
