// extract --resume: a VM a previous run completed (its vm.json written last, same content) is not
// read again — on a backup file not one of its chunks' keys is derived — and the rest is restored.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { Cipher, Registry } from '@qubes-backup/core';
import { extract, planRestore } from '@qubes-backup/restore';
import { OURS } from '@qubes-backup/testkit';

const CASE = join(OURS, 'v4-gnu-sparse-multichunk');
const BACKUP = join(CASE, 'backup.bin');

/** Every shipped plugin, with the scrypt cipher recording the name of each unit whose key it derives. */
function spying(derived: string[]): Registry {
  const real = defaultRegistry().get('cipher', 'scrypt');
  // Format 4 derives each chunk's key from `<backup-id>!<path>.NNN!<passphrase>`.
  const unit = (pass: Uint8Array) => new TextDecoder().decode(pass).split('!')[1] ?? '?';
  const spy: Cipher = {
    info: real.info,
    ...(real.prepareBytes !== undefined ? { prepareBytes: real.prepareBytes } : {}),
    decrypt: (data, pass, opts) => { derived.push(unit(pass)); return real.decrypt(data, pass, opts); },
    ...(real.prepare ? { prepare: (head: Uint8Array, pass: Uint8Array, opts?: object) => { derived.push(unit(pass)); return real.prepare!(head, pass, opts); } } : {}),
  };
  return defaultRegistry().remove('cipher', 'scrypt').use({ kind: 'cipher', name: 'scrypt', backend: 'portable', create: () => spy });
}

let dest: string;
beforeEach(() => { dest = mkdtempSync(join(tmpdir(), 'qbt-resume-')); });
afterEach(() => rmSync(dest, { recursive: true, force: true }));

describe('extract --resume', () => {
  test('a VM complete before is skipped without deriving a key for any of its chunks; the others are restored', async () => {
    await extract(BACKUP, { registry: defaultRegistry(), passphrase: 'qubes', dest, units: ['work'] });
    const derived: string[] = [];
    const r = await extract(BACKUP, { registry: spying(derived), passphrase: 'qubes', dest, resume: true });
    expect(r.ok).toBe(true);
    expect(r.units.map((u) => [u.name, u.status, u.kept ?? false])).toEqual([['work', 'ok', true], ['personal', 'ok', false], ['dom0', 'ok', false]]);
    expect(derived.filter((u) => u.startsWith('vm5/'))).toEqual([]);
    expect(derived.some((u) => u.startsWith('vm6/'))).toBe(true);
  });

  test('a vm.json that is not this backup\'s (another backup restored there) does not count as complete', async () => {
    await extract(BACKUP, { registry: defaultRegistry(), passphrase: 'qubes', dest, units: ['work'] });
    writeFileSync(join(dest, 'work', 'vm.json'), '{}\n');
    const plan = await planRestore(BACKUP, { registry: defaultRegistry(), passphrase: 'qubes', dest, units: ['work'], resume: true });
    expect(plan.units.map((u) => [u.name, u.kept ?? false])).toEqual([['work', false]]);
  });
});
