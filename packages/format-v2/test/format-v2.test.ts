import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteSource, Registry } from '@qubes-backup/core';
import { formatV2 } from '@qubes-backup/format-v2';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { openBackup } from '@qubes-backup/restore';
import {
  compareTree, enc, flipMember as flip, lcg, loadExpected, memorySource, readOuter, registryWith, registryWithCipherSpy,
  rejection as failure, restoreTo, verifyBytes, writeOuter, type Expected, type OuterMember,
} from '@qubes-backup/testkit';

const FX = join(new URL('.', import.meta.url).pathname, 'fixtures');
const registry = registryWith(formatV2);
const bytesOf = (v: string) => new Uint8Array(readFileSync(join(FX, `${v}.bin`)));
const restore = (input: string | ByteSource, o: { legacy?: boolean } = {}) => restoreTo<QubesBackupModel>(input, { registry, tmpPrefix: 'qbt-v2-', ...o });
const modelOf = (o: { info: unknown }) => o.info as QubesBackupModel;
const verifyOnly = (bytes: Uint8Array, { reg = registry, ...o }: { reg?: Registry; passphrase?: string; legacy?: boolean } = {}) =>
  verifyBytes(bytes, { registry: reg, ...o });

describe('format 2 backups made with GNU tar -M, openssl enc and openssl dgst', () => {
  for (const [v, legacy] of [['v2-enc', false], ['v2-plain-gzip', false], ['v2-plain-none', false], ['v2-headerless-md5-enc', true]] as const) {
    test(`${v} restores byte-identical, holes kept`, async () => {
      const r = await restore(join(FX, `${v}.bin`), { legacy });
      try {
        expect(await compareTree(r.dest, loadExpected(join(FX, `${v}.expected.json`)))).toEqual([]);
        const img = statSync(join(r.dest, 'work/private.img'));
        expect(img.size).toBe(262144);
        expect(img.blocks * 512).toBeLessThan(64 * 1024);
        expect(r.model.version).toBe(2);
        expect(r.model.authenticated).toBe(true);
        expect(r.model.encrypted).toBe(v.includes('enc'));
        expect(r.model.compressed).toBe(v === 'v2-plain-gzip');
        // R2 qubes.xml has no dom0: its home was found by name in the (seekable) file.
        expect(r.model.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user' });
      } finally {
        r.cleanup();
      }
    });
  }

  test('a header without version is format 2; the model keeps its keys', async () => {
    const opened = await openBackup(join(FX, 'v2-plain-gzip.bin'), { passphrase: 'qubes', registry });
    expect(modelOf(opened).header).toEqual({ 'hmac-algorithm': 'SHA512', 'crypto-algorithm': 'aes-256-cbc', encrypted: 'False', compressed: 'True' });
  });

  test('header-less: recognized as format 2, refused without --legacy', async () => {
    const e = await failure(verifyOnly(bytesOf('v2-headerless-md5-enc')));
    expect(e.name).toBe('UnsupportedError');
    expect(e.message).toContain('--legacy');
    expect(e.member).toBe('qubes.xml.000');
  });

  test('header-less: the model says what was detected', async () => {
    const opened = await openBackup(join(FX, 'v2-headerless-md5-enc.bin'), { passphrase: 'qubes', registry, settings: { legacy: true } });
    expect(modelOf(opened).header).toEqual({});
    expect(modelOf(opened).encrypted).toBe(true);
    expect(modelOf(opened).compressed).toBe(false);
  });

  test('header-less with the wrong passphrase: WrongPassphraseError', async () => {
    const e = await failure(verifyOnly(bytesOf('v2-headerless-md5-enc'), { legacy: true, passphrase: 'qubez' }));
    expect(e.name).toBe('WrongPassphraseError');
    expect(e.member).toBe('qubes.xml.000.hmac');
  });

  test('a pipe cut at random points gives the same files (dom0 home is not known ahead there)', async () => {
    for (const v of ['v2-enc', 'v2-plain-gzip']) {
      const rnd = lcg(v.length);
      const r = await restore(memorySource(bytesOf(v), { seekable: false, pieces: () => 1 + Math.floor(rnd() * 2048) }));
      try {
        const all = loadExpected(join(FX, `${v}.expected.json`));
        const vms: Record<string, Expected> = Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith('dom0-home/')));
        expect(await compareTree(r.dest, vms)).toEqual([]);
        expect(r.model.dom0Home).toBeUndefined();
      } finally {
        r.cleanup();
      }
    }
  });

  test('the chunks of a stored file are the volumes of one multi-volume tar, read once', async () => {
    const opened = await openBackup(join(FX, 'v2-enc.bin'), { passphrase: 'qubes', registry });
    let seen = 0;
    for await (const a of opened.archives((x) => x.path === 'vm5/private.img')) {
      expect(a.prefix).toBe('vm5/');
      const names: string[] = [];
      for await (const m of a.members()) names.push(`${m.type} ${m.path} ${m.size}`);
      expect(names).toEqual(['file vm5/private.img 262144']);
      expect(() => a.members()).toThrow('only once');
      seen++;
    }
    expect(seen).toBe(1);
  });
});

describe('authentication', () => {
  async function tampered(v: string, change: (ms: OuterMember[]) => void): Promise<Uint8Array> {
    const ms = await readOuter(registry, bytesOf(v));
    change(ms);
    return writeOuter(ms);
  }

  test('one flipped byte in a chunk: AuthenticationError naming the chunk', async () => {
    const e = await failure(verifyOnly(await tampered('v2-enc', (ms) => flip(ms, 'vm5/private.img.002', (d) => d.length - 3))));
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('vm5/private.img.002');
  });

  test('one flipped hex digit in a .hmac: AuthenticationError', async () => {
    const e = await failure(verifyOnly(await tampered('v2-plain-gzip', (ms) => flip(ms, 'appvms/work/firewall.xml.000.hmac', (d) => d.indexOf(0x3d) + 5))));
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('appvms/work/firewall.xml.000');
  });

  test('header-less: a flipped byte after qubes.xml still fails with the detected digest', async () => {
    const e = await failure(verifyOnly(await tampered('v2-headerless-md5-enc', (ms) => flip(ms, 'vm5/private.img.000', () => 100)), { legacy: true }));
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('vm5/private.img.000');
  });

  test('chunks the consumer never reads are still authenticated', async () => {
    const bytes = await tampered('v2-enc', (ms) => flip(ms, 'vm5/private.img.003', () => 50));
    const opened = await openBackup(memorySource(bytes), { passphrase: 'qubes', registry });
    const e = await failure((async () => {
      for await (const a of opened.archives(() => true)) void a; // never calls members()
    })());
    expect(e.name).toBe('AuthenticationError');
    expect(e.member).toBe('vm5/private.img.003');
  });

  test('each chunk is verified before the cipher sees it', async () => {
    const fed: number[] = [];
    const reg = registryWithCipherSpy(formatV2, () => {
      const i = fed.push(0) - 1;
      return (c) => { fed[i]! += c.length; };
    });
    const e = await failure(verifyOnly(await tampered('v2-enc', (ms) => flip(ms, 'vm5/private.img.001', () => 0)), { reg }));
    expect(e.member).toBe('vm5/private.img.001');
    // Two decryptions: qubes.xml.000 and private.img.000; private.img.001 never reached the cipher.
    expect(fed.length).toBe(2);
  });

  test('wrong passphrase: the restore library refuses the header', async () => {
    const e = await failure(verifyOnly(bytesOf('v2-enc'), { passphrase: 'x' }));
    expect(e.name).toBe('WrongPassphraseError');
    expect(e.message).toContain('wrong passphrase (header HMAC does not verify)');
  });

  test('a registry without the v2 plugin does not recognize the backup', async () => {
    const e = await failure(verifyOnly(bytesOf('v2-enc'), { reg: registryWith() }));
    expect(e.message).toContain('is not a backup this tool reads');
  });
});

describe('headers', () => {
  /** v2-enc with another (correctly HMAC'd) header. */
  async function withHeader(text: string): Promise<Uint8Array> {
    const ms = await readOuter(registry, bytesOf('v2-enc'));
    const tag = `HMAC-SHA2-512(stdin)= ${createHmac('sha512', 'qubes').update(text).digest('hex')}\n`;
    ms.find((m) => m.name === 'backup-header')!.data = enc(text);
    ms.find((m) => m.name === 'backup-header.hmac')!.data = enc(tag);
    return writeOuter(ms);
  }

  test('encrypted and compressed (openssl enc -z) needs a zlib decoder', async () => {
    const bytes = await withHeader('hmac-algorithm=SHA512\ncrypto-algorithm=aes-256-cbc\nencrypted=True\ncompressed=True\n');
    // Every part but zlib (both backends): the registry must say which decoder it lacks.
    const noZlib = registryWith(formatV2).remove('compressor', 'zlib');
    expect(noZlib.has('compressor', 'zlib')).toBe(false);
    const e = await failure(verifyOnly(bytes, { reg: noZlib }));
    expect(e.name).toBe('UnsupportedError');
    expect(e.message).toContain('openssl enc -z (zlib)');
    // codec-gzip has one: the decrypted volumes go to it (and are no zlib data: v2-enc is not -z).
    const withZlib = await failure(verifyOnly(bytes));
    expect(withZlib.name).toBe('CorruptBackupError');
    expect(withZlib.message).toMatch(/zlib: /);
  });

  test('missing keys', async () => {
    const e = await failure(verifyOnly(await withHeader('hmac-algorithm=SHA512\nencrypted=True\ncompressed=False\n')));
    expect(e.name).toBe('CorruptBackupError');
    expect(e.message).toContain("missing 'crypto-algorithm'");
  });

  test('a digest no plugin knows', async () => {
    const e = await failure(verifyOnly(await withHeader('hmac-algorithm=WHIRLPOOL\ncrypto-algorithm=aes-256-cbc\nencrypted=True\ncompressed=False\n')));
    expect(e.name).toBe('UnsupportedError');
  });
});

