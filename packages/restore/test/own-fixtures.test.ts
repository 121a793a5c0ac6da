// The backups in test-fixtures/ (built by tools/make-fixture with GNU tar, scrypt, gzip/bzip2/xz,
// mkfs.ext4) restore byte-identical, with holes kept; tampering and a wrong passphrase fail cleanly.
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { extract, inspect, verify } from '@qubes-backup/restore';
import { compareWithManifest, OURS, type Entry } from '@qubes-backup/testkit';

interface OurManifest { passphrase: string; backup_file: string; files: Entry[]; vms: { name: string; class: string; included: boolean }[]; outer_members: { name: string; size: number }[] }

const cases = existsSync(OURS) ? readdirSync(OURS).filter((d) => existsSync(join(OURS, d, 'manifest.json'))).sort() : [];
const load = (c: string) => JSON.parse(readFileSync(join(OURS, c, 'manifest.json'), 'utf8')) as OurManifest;
const tmp = () => mkdtempSync(join(tmpdir(), 'qbt-own-'));

describe('test-fixtures restore byte-identical', () => {
  test('there are fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  for (const c of cases) {
    test(c, async () => {
      const m = load(c);
      const work = tmp();
      try {
        const r = await extract(join(OURS, c, m.backup_file), { passphrase: m.passphrase, dest: work, registry: defaultRegistry() });
        expect(r.ok).toBe(true);
        const files = m.files.map((e) => [e.path, e] as [string, Entry]);
        expect(await compareWithManifest(work, files)).toEqual([]);
        // No leftovers: every output is either in the manifest or a vm.json.
        const listed = new Set(files.flatMap(([p]) => p.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))));
        const extra = walk(work).filter((p) => !listed.has(p) && !p.endsWith('/vm.json'));
        expect(extra).toEqual([]);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...walk(dir, p));
  }
  return out;
}

describe('the sample backup', () => {
  const c = 'v4-sample';
  const m = cases.includes(c) ? load(c) : undefined;
  const backup = m ? join(OURS, c, m.backup_file) : '';

  test('info lists the VMs of qubes.xml', async () => {
    const model = (await inspect(backup, { passphrase: m!.passphrase, registry: defaultRegistry() })).info as QubesBackupModel;
    expect(model.version).toBe(4);
    expect(model.vms.filter((v) => v.included).map((v) => v.name).sort())
      .toEqual(m!.vms.filter((v) => v.included).map((v) => v.name).sort());
  });

  test('a wrong passphrase fails with exit 2 "wrong passphrase" before any data is read', async () => {
    let bytes = 0;
    const err = await inspect(backup, { passphrase: 'not-it', registry: defaultRegistry(), onProgress: (n) => { bytes += n; } }).then(() => undefined, (e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/wrong passphrase/);
    expect(err).toMatchObject({ code: 'E_PASSPHRASE' });
    // Only the header pair was needed (the outer tar is read in 1 MiB pieces at most).
    expect(bytes).toBeLessThanOrEqual(Math.max(1 << 20, 30720));
  });

  test('verify fails naming the member when one byte of a chunk is flipped, and writes nothing', async () => {
    const work = tmp();
    try {
      const copy = join(work, 'backup.bin');
      copyFileSync(backup, copy);
      const data = readFileSync(copy);
      // Flip a byte in the ciphertext of the first data chunk after qubes.xml.
      let off = 0;
      let target = -1;
      for (const om of m!.outer_members) {
        // Each outer member: a 512-byte PAX header + its data block(s) + header, padded to 10240.
        if (om.name.endsWith('.enc') && !om.name.startsWith('qubes.xml')) { target = off; break; }
        off += 10240 * Math.ceil((1536 + om.size) / 10240);
      }
      expect(target).toBeGreaterThanOrEqual(0);
      const idx = data.indexOf(Buffer.from('scrypt'), target);
      data[idx + 200] ^= 0x01;
      writeFileSync(copy, data);
      const err = await verify(copy, { passphrase: m!.passphrase, registry: defaultRegistry() }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_AUTH' });
      expect(String((err as Error).message)).toMatch(/^vm[0-9]+\/[a-z.]+\.000\.enc: scrypt HMAC does not verify/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
