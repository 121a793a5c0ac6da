import { describe, expect } from '@jest/globals';
import { Registry, once } from '@qubes-backup/core';
import { hmacMacsPortable } from '../src/index.js';
import { hmacMacsNode } from '../src/node.js';
import { enc, sharedBackups, testEachShared } from '@qubes-backup/testkit';

const backups = sharedBackups((m) => m.format_version !== 4 && m.hmac_algorithm !== null);
const registry = new Registry().use(hmacMacsNode, hmacMacsPortable);

describe('real Qubes v2/v3 backups (../shared/fixtures)', () => {
  testEachShared(backups, 'every .hmac verifies; a changed byte does not', async (b) => {
    const key = enc(b.manifest.passphrase);
    let checked = 0;
    for (const backend of ['node', 'portable'] as const) {
      const mac = registry.get('mac', b.manifest.hmac_algorithm!, { backend });
      for (const [name, tag] of b.members) {
        if (!name.endsWith('.hmac')) continue;
        const data = b.members.get(name.slice(0, -5))!;
        await mac.verify(once(data), tag, key);
        checked++;
      }
      const [name, data] = [...b.members].find(([n]) => b.members.has(`${n}.hmac`))!;
      const changed = data.slice();
      changed[changed.length >> 1]! ^= 1;
      await expect(mac.verify(once(changed), b.members.get(`${name}.hmac`)!, key)).rejects.toMatchObject({ code: 'E_AUTH' });
    }
    expect(checked).toBeGreaterThan(2);
  });
});
