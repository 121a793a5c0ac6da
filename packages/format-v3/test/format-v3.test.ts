import { describe, expect, test } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteSource, Registry } from '@qubes-backup/core';
import { formatV3 } from '@qubes-backup/format-v3';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { openBackup } from '@qubes-backup/restore';
import {
  compareTree, flipMember as flip, lcg, loadExpected, memorySource, readOuter, registryWith, registryWithCipherSpy,
  rejection as failure, restoreTo, verifyBytes, writeOuter, type OuterMember,
} from '@qubes-backup/testkit';

const FX = join(new URL('.', import.meta.url).pathname, 'fixtures');
const VARIANTS = ['v3-enc-gzip', 'v3-enc-none-sha256-aes128', 'v3-plain-none', 'v3-plain-gzip-hidden'];
const registry = registryWith(formatV3);
const bytesOf = (v: string) => new Uint8Array(readFileSync(join(FX, `${v}.bin`)));
const restore = (input: string | ByteSource, o: { vms?: string[] } = {}) => restoreTo<QubesBackupModel>(input, { registry, tmpPrefix: 'qbt-v3-', ...o });
const verifyOnly = (bytes: Uint8Array, reg: Registry = registry, passphrase = 'qubes') => verifyBytes(bytes, { registry: reg, passphrase });

describe('format 3 backups made with GNU tar, openssl enc and openssl dgst', () => {
  for (const v of VARIANTS) {
    test(`${v} restores byte-identical, holes kept`, async () => {
      const r = await restore(join(FX, `${v}.bin`));
      try {
        expect(await compareTree(r.dest, loadExpected(join(FX, `${v}.expected.json`)))).toEqual([]);
        const img = statSync(join(r.dest, 'work/private.img'));
        expect(img.size).toBe(262144);
        expect(img.blocks * 512).toBeLessThan(64 * 1024);
        expect(r.model.version).toBe(3);
        expect(r.model.authenticated).toBe(true);
        expect(r.model.encrypted).toBe(v.startsWith('v3-enc'));
        expect(r.model.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 4096 });
        expect(r.model.vms.filter((x) => x.included && x.backupPath && x.class !== 'AdminVM').map((x) => x.name).sort()).toEqual(['tpl', 'work']);
      } finally {
        r.cleanup();
      }
    });
  }

  test('the model carries the verified header', async () => {
    const opened = await openBackup(join(FX, 'v3-enc-none-sha256-aes128.bin'), { passphrase: 'qubes', registry });
    const model = opened.info as QubesBackupModel;
    expect(model.format).toBe('v3');
    expect(model.header).toEqual({
      version: '3', 'hmac-algorithm': 'SHA256', 'crypto-algorithm': 'aes-128-cbc', encrypted: 'True', compressed: 'False',
    });
    expect(model.compressed).toBe(false);
  });

  test('a pipe cut at random points (1 byte up to 3 KiB) gives the same files', async () => {
    for (const v of ['v3-enc-gzip', 'v3-plain-none']) {
      const rnd = lcg(v.length);
      const r = await restore(memorySource(bytesOf(v), { seekable: false, pieces: () => 1 + Math.floor(rnd() * 3072) }));
      try {
        expect(await compareTree(r.dest, loadExpected(join(FX, `${v}.expected.json`)))).toEqual([]);
      } finally {
        r.cleanup();
      }
    }
  });

  test('selecting one VM restores only it (the others are skipped, not decrypted)', async () => {
    const r = await restore(join(FX, 'v3-enc-gzip.bin'), { vms: ['tpl'] });
    try {
      const all = loadExpected(join(FX, 'v3-enc-gzip.expected.json'));
      const tpl = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('tpl/')));
      expect(await compareTree(r.dest, tpl)).toEqual([]);
      expect(() => statSync(join(r.dest, 'work'))).toThrow();
      expect(() => statSync(join(r.dest, 'dom0-home'))).toThrow();
    } finally {
      r.cleanup();
    }
  });
});

describe('authentication', () => {
  const v = 'v3-enc-gzip';

  async function tampered(change: (ms: OuterMember[]) => void): Promise<Uint8Array> {
    const ms = await readOuter(registry, bytesOf(v));
    change(ms);
    return writeOuter(ms);
  }

  test('the rewritten outer archive still restores (control)', async () => {
    await expect(verifyOnly(await tampered(() => undefined))).resolves.toMatchObject({ ok: true });
  });

  test('one flipped byte in a chunk: AuthenticationError naming the chunk', async () => {
    const e = await failure(verifyOnly(await tampered((ms) => flip(ms, 'vm5/private.img.003', (d) => d.length >> 1))));
    expect(e.name).toBe('AuthenticationError');
    expect(e.code).toBe('E_AUTH');
    expect(e.member).toBe('vm5/private.img.003');
  });

  test('one flipped hex digit in a .hmac: AuthenticationError naming the chunk and the .hmac', async () => {
    const bytes = await tampered((ms) => flip(ms, 'vm5/firewall.xml.000.hmac', (d) => d.indexOf(0x3d) + 10));
    const e = await failure(verifyOnly(bytes));
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('vm5/firewall.xml.000');
    expect(e.message).toContain('vm5/firewall.xml.000.hmac');
  });

  test('a broken qubes.xml chunk fails before anything is parsed', async () => {
    const e = await failure(verifyOnly(await tampered((ms) => flip(ms, 'qubes.xml.000', () => 40))));
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('qubes.xml.000');
  });

  test('a chunk is verified before any of its bytes reach the cipher', async () => {
    const seen: number[] = [];
    const reg = registryWithCipherSpy(formatV3, () => (c) => { seen.push(c.length); });
    const bytes = await tampered((ms) => flip(ms, 'vm5/private.img.002', () => 0));
    const e = await failure(verifyOnly(bytes, reg));
    expect(e.member).toBe('vm5/private.img.002');
    // qubes.xml (2 chunks of at most 1500 bytes) and exactly chunks .000 and .001 of private.img.
    const ms = await readOuter(registry, bytesOf(v));
    const size = (n: string) => ms.find((m) => m.name === n)!.data.length;
    const xml = ms.filter((m) => /^qubes\.xml\.\d+$/.test(m.name)).reduce((a, m) => a + m.data.length, 0);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(xml + size('vm5/private.img.000') + size('vm5/private.img.001'));
  });

  test('wrong passphrase: WrongPassphraseError from the header', async () => {
    const e = await failure(verifyOnly(bytesOf(v), registry, 'Qubes'));
    expect(e.name).toBe('WrongPassphraseError');
    expect(e.message).toContain('wrong passphrase (header HMAC does not verify)');
  });

  test('a registry without the v3 plugin does not recognize the backup', async () => {
    const e = await failure(verifyOnly(bytesOf(v), registryWith()));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain('is not a backup this tool reads');
  });
});

describe('structure', () => {
  const v = 'v3-plain-none';
  async function changed(change: (ms: OuterMember[]) => OuterMember[]): Promise<Uint8Array> {
    return writeOuter(change(await readOuter(registry, bytesOf(v))));
  }
  const without = (...names: string[]) => (ms: OuterMember[]) => ms.filter((m) => !names.includes(m.name));

  test('a chunk not followed by its .hmac', async () => {
    const e = await failure(verifyOnly(await changed(without('appvms/work/private.img.000.hmac'))));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain('expected hmac for appvms/work/private.img.000, but got appvms/work/private.img.001');
  });

  test('a missing chunk (gap)', async () => {
    const ms = (await readOuter(registry, bytesOf('v3-enc-gzip'))).filter((m) => !m.name.startsWith('vm5/private.img.001'));
    const e = await failure(verifyOnly(writeOuter(ms)));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.member).toBe('vm5/private.img.002');
    expect(e.message).toContain('expected vm5/private.img.001');
  });

  test('a dropped last chunk (no crypto can tell) is a truncated inner tar', async () => {
    const e = await failure(verifyOnly(await changed(without('appvms/work/private.img.001', 'appvms/work/private.img.001.hmac'))));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.member).toBe('appvms/work/private.img');
  });

  test('chunks swapped with their .hmac files (each still authentic)', async () => {
    const e = await failure(verifyOnly(await changed((ms) => {
      const i = ms.findIndex((m) => m.name === 'appvms/work/private.img.000');
      const out = ms.slice();
      out.splice(i, 4, ms[i + 2]!, ms[i + 3]!, ms[i]!, ms[i + 1]!);
      return out;
    })));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.member).toBe('appvms/work/private.img.001');
  });

  test('a file stored twice', async () => {
    const e = await failure(verifyOnly(await changed((ms) => {
      const fw = ms.filter((m) => m.name.startsWith('appvms/work/firewall.xml.000'));
      return [...ms, ...fw];
    })));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain('stored twice');
  });

  test('a .hmac where a chunk is expected', async () => {
    const e = await failure(verifyOnly(await changed((ms) => {
      const h = ms.find((m) => m.name === 'appvms/work/firewall.xml.000.hmac')!;
      return [...ms, h];
    })));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.member).toBe('appvms/work/firewall.xml.000.hmac');
  });

  test('qubes.xml missing', async () => {
    const e = await failure(verifyOnly(await changed((ms) => ms.filter((m) => !m.name.startsWith('qubes.xml')))));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain('qubes.xml.000 is missing');
  });

  test('an oversized .hmac is refused', async () => {
    const e = await failure(verifyOnly(await changed((ms) => {
      const h = ms.find((m) => m.name === 'appvms/work/firewall.xml.000.hmac')!;
      h.data = new Uint8Array(5000).fill(0x20);
      return ms;
    })));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain('larger than 4096');
  });
});
