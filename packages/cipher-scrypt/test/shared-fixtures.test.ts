import { describe, expect, test } from '@jest/globals';
import { once } from '@qubes-backup/core';
import { scryptCipherNode, scryptMacNode } from '../src/node.js';
import { scryptMacPortable } from '../src/index.js';
import { consume, enc, sharedBackups, testEachShared } from '@qubes-backup/testkit';

// logN 20 needs 1 GiB and ~5 s per KDF: left out to keep the suite fast.
const backups = sharedBackups((m) => m.format_version === 4 && (m.scrypt?.logN ?? 99) <= 16);

const GZIP_MAGIC = [0x1f, 0x8b];

describe('real Qubes v4 backups (../shared/fixtures)', () => {
  testEachShared(backups, 'backup-header.hmac verifies with the Mac', async (b) => {
    const header = b.members.get('backup-header')!;
    const tag = b.members.get('backup-header.hmac')!;
    const key = enc(`backup-header!${b.manifest.passphrase}`);
    await scryptMacNode.create().verify(once(header), tag, key);
    if (b.dir === 'v4-gzip') {
      await expect(scryptMacNode.create().verify(once(header), tag, enc(b.manifest.passphrase)))
        .rejects.toMatchObject({ code: 'E_PASSPHRASE' });
    }
  });

  const gz = backups.find((b) => b.dir === 'v4-gzip');
  (gz ? test : test.skip)('v4-gzip: every chunk decrypts with "{backup_id}!{path}!{passphrase}"; portable Mac agrees', async () => {
    const b = gz!;
    const cipher = scryptCipherNode.create();
    let n = 0;
    for (const [name, unit] of b.members) {
      if (!name.endsWith('.enc')) continue;
      const pass = enc(`${b.manifest.backup_id}!${name.slice(0, -4)}!${b.manifest.passphrase}`);
      const { bytes } = await consume(cipher.decrypt(once(unit), pass));
      expect([name, [...bytes.subarray(0, 2)]]).toEqual([name, GZIP_MAGIC]);
      n++;
    }
    expect(n).toBeGreaterThan(3);
    await scryptMacPortable.create().verify(
      once(b.members.get('backup-header')!), b.members.get('backup-header.hmac')!, enc(`backup-header!${b.manifest.passphrase}`));
  }, 60_000); // one scrypt derivation per chunk: well over Jest's 5 s on a loaded machine
});
