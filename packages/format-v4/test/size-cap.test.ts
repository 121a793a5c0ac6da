// The decompression-bomb cap: a stored file may decompress to at most 4 × its VM's backup-size
// (from qubes.xml) + 8 MiB; `ignore-size-limit` (--ignore-size-limit) lifts it. The data is
// authentic: the attacker knows the passphrase (so these tests forge chunks with it).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { concatBytes } from '@qubes-backup/core';
import { OURS, expectCode, randomBytes, v4Chunk, verifyBytes, writeOuter, type OuterMember } from '@qubes-backup/testkit';
import { BACKUP_ID, pick, registry, tampered } from './_v4.js';

// A qubes.xml made with the real scrypt CLI for the adversarial corpus: v4-sample's, with work's backup-size 4096.
const SMALL_XML = new Uint8Array(readFileSync(join(OURS, 'adversarial/v4-gzip-bomb/qubes.xml.000.enc')));
const WORK_LIMIT = 4 * 4096 + 8 * 2 ** 20;
/** dom0's backup-size in v4-sample's own qubes.xml is 92 bytes. */
const DOM0_LIMIT = 4 * 92 + 8 * 2 ** 20;

/**
 * One stored file whose decompressed stream is exactly `total` bytes: an inner tar holding
 * `member` (some random bytes), then zeros after its end marker (read and counted all the same).
 */
function storedFile(stem: string, member: string, total: number): Uint8Array {
  const tar = writeOuter([{ name: member, data: randomBytes(5000, total) }]);
  const stream = concatBytes([tar, new Uint8Array(total - tar.length)]);
  return v4Chunk(gzipSync(stream, { level: 1 }), { backupId: BACKUP_ID, stem });
}

/** v4-sample with work's small qubes.xml and `replace` (stored name → member data). */
function sample(replace: Record<string, Uint8Array>): Promise<Uint8Array> {
  return tampered('v4-sample', (ms: OuterMember[]) => {
    pick(ms, 'qubes.xml.000.enc').data = SMALL_XML;
    for (const [name, data] of Object.entries(replace)) pick(ms, name).data = data;
  });
}

const verify = (bytes: Uint8Array, settings?: Record<string, boolean>) => verifyBytes(bytes, { registry, ...(settings ? { settings } : {}) });

describe("format 4: a stored file may decompress to 4 × its VM's backup-size + 8 MiB", () => {
  test('exactly the limit (from the VM\'s backup-size) restores', async () => {
    const report = await verify(await sample({ 'vm5/private.img.000.enc': storedFile('vm5/private.img.000', 'vm5/private.img', WORK_LIMIT) }));
    expect(report.ok).toBe(true);
  });

  test('one byte more is refused as a decompression bomb, naming the stored file', async () => {
    const bytes = await sample({ 'vm5/private.img.000.enc': storedFile('vm5/private.img.000', 'vm5/private.img', WORK_LIMIT + 1) });
    const e = await expectCode(verify(bytes), 'E_CORRUPT', /backup-size of 4096 bytes/, /--ignore-size-limit/, new RegExp(`more than ${WORK_LIMIT} bytes`));
    expect(e.member).toBe('vm5/private.img');
  });

  test('ignore-size-limit (--ignore-size-limit) lifts the cap', async () => {
    const bytes = await sample({ 'vm5/private.img.000.enc': storedFile('vm5/private.img.000', 'vm5/private.img', WORK_LIMIT + 1) });
    expect((await verify(bytes, { 'ignore-size-limit': true })).ok).toBe(true);
    // Only `true` lifts it: the option is a flag.
    await expectCode(verify(bytes, { 'ignore-size-limit': false }), 'E_CORRUPT', /decompression bomb/);
  });

  test("dom0's home is capped by dom0's own backup-size", async () => {
    const at = await sample({ 'dom0-home/user.000.enc': storedFile('dom0-home/user.000', 'dom0-home/user/big', DOM0_LIMIT) });
    expect((await verify(at)).ok).toBe(true);
    const over = await sample({ 'dom0-home/user.000.enc': storedFile('dom0-home/user.000', 'dom0-home/user/big', DOM0_LIMIT + 1) });
    const e = await expectCode(verify(over), 'E_CORRUPT', /backup-size of 92 bytes/);
    expect(e.member).toBe('dom0-home/user');
  });

  test("the crafted 16 MiB bomb (real tools) in a VM whose backup-size is 4 KiB: refused, restored with the option", async () => {
    const bomb = new Uint8Array(readFileSync(join(OURS, 'adversarial/v4-gzip-bomb/vm5%2Fprivate.img.000.enc')));
    const bytes = await sample({ 'vm5/private.img.000.enc': bomb });
    await expectCode(verify(bytes), 'E_CORRUPT', /decompression bomb/);
    expect((await verify(bytes, { 'ignore-size-limit': true })).ok).toBe(true);
  });
});
