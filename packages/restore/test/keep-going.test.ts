// Salvage: --keep-going restores every VM whose members verify and reports the others;
// without it the first failure stops the run and removes that VM's partial files.
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import { extract, reportOf, verify } from '@qubes-backup/restore';
import { OURS } from '@qubes-backup/testkit';

const source = join(OURS, 'v4-templates-root', 'backup.bin');
const manifest = JSON.parse(readFileSync(join(OURS, 'v4-templates-root', 'manifest.json'), 'utf8')) as {
  passphrase: string; vms: { name: string; included: boolean; backup_path?: string; class: string }[];
};

/** A copy of the backup with one ciphertext byte flipped in the given stored member. */
function tampered(dir: string, member: string): string {
  const data = readFileSync(source);
  const at = data.indexOf(Buffer.from(member));
  expect(at).toBeGreaterThan(0);
  const magic = data.indexOf(Buffer.from('scrypt'), at);
  data[magic + 300] ^= 0x40;
  const out = join(dir, 'backup.bin');
  writeFileSync(out, data);
  return out;
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p); else out.push(p);
    }
  };
  walk('');
  return out.sort();
}

describe('salvage', () => {
  const victim = manifest.vms.find((v) => v.included && v.class !== 'AdminVM' && v.backup_path)!;
  const member = `${victim.backup_path!.replace(/\/?$/, '/')}private.img.000.enc`;

  test('--keep-going restores the other VMs, reports the failing member, keeps the .partial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbt-keep-'));
    try {
      const backup = tampered(dir, member);
      const dest = join(dir, 'out');
      const r = await extract(backup, { passphrase: manifest.passphrase, dest, keepGoing: true, registry: defaultRegistry() });
      expect(r.ok).toBe(false);
      const bad = r.units.filter((v) => v.status === 'failed');
      expect(bad.map((v) => [v.name, v.failingMember])).toEqual([[victim.name, member]]);
      const others = manifest.vms.filter((v) => v.included && v.class !== 'AdminVM' && v.name !== victim.name);
      expect(others.length).toBeGreaterThan(0);
      for (const v of others) expect(r.units.find((x) => x.name === v.name)?.status).toBe('ok');
      for (const v of others) expect(existsSync(join(dest, v.name))).toBe(true);
      // The failed image never appears complete-looking.
      expect(existsSync(join(dest, victim.name, 'private.img'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('without it, the first failure stops the run, exit 2, no .partial left of that VM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbt-keep-'));
    try {
      const backup = tampered(dir, member);
      const dest = join(dir, 'out');
      const err = await extract(backup, { passphrase: manifest.passphrase, dest, registry: defaultRegistry() }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_AUTH' });
      expect((err as Error).message).toBe(`${member}: scrypt HMAC does not verify (tampered or truncated)`);
      const left = files(dest).filter((p) => p.startsWith(`${victim.name}/`));
      expect(left.filter((p) => p.endsWith('.partial'))).toEqual([]);
      expect(left.filter((p) => p.endsWith('.img'))).toEqual([]);
      expect(statSync(dest).isDirectory()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a backup cut between two members of a VM reports that VM failed, never ok with a file missing (issue 16)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qbt-keep-'));
    try {
      // v4-sample cut inside the padding after work's private.img: its firewall.xml and dom0's home are gone.
      const backup = join(dir, 'cut.bin');
      writeFileSync(backup, readFileSync(join(OURS, 'v4-sample', 'backup.bin')).subarray(0, 40000));
      // Where the cut is found depends on how far the decompressor read ahead: while work's image is
      // read (work fails, the run goes on and finds dom0's home missing) or after it (the run stops).
      // Either way work is not ok.
      const r = await verify(backup, { passphrase: 'qubes', registry: defaultRegistry(), keepGoing: true }).catch((e: unknown) => reportOf(e));
      const work = r?.units.find((u) => u.name === 'work');
      expect(work).toMatchObject({ status: 'failed' });
      expect(work?.error).toMatch(/truncated: the backup ends at offset 39936 after 'vm5\/private\.img\.000\.enc' without an end-of-archive marker/);
      expect(['failed', 'not reached']).toContain(r?.units.find((u) => u.name === 'dom0')?.status);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
