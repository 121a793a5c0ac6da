import { describe, expect } from '@jest/globals';
import { Registry, once, type ByteStream } from '@qubes-backup/core';
import { opensslCiphersPortable } from '../src/index.js';
import { opensslCiphersNode } from '../src/node.js';
import { consume, enc, sharedBackups, testEachShared } from '@qubes-backup/testkit';

const backups = sharedBackups((m) => m.format_version !== 4 && m.encrypted);
const registry = new Registry().use(opensslCiphersNode, opensslCiphersPortable);

/** Data chunks grouped by archive, in order: `vm5/private.img` → [.000, .001, …]. */
function archives(members: Map<string, Uint8Array>): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>();
  for (const [name, data] of members) {
    const m = /^(.*)\.(\d{3})$/.exec(name);
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), data]);
  }
  return out;
}

async function* chunks(list: Uint8Array[]): ByteStream { yield* list; }

const MAGIC: Record<string, (b: Uint8Array) => boolean> = {
  // A tar header with a valid checksum (GNU continuation volumes carry no ustar magic).
  none: (b) => {
    if (b.length < 512) return false;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
    return sum === parseInt(new TextDecoder().decode(b.subarray(148, 155)).replace(/\0.*/, '').trim(), 8);
  },
  gzip: (b) => b[0] === 0x1f && b[1] === 0x8b,
  bzip2: (b) => new TextDecoder().decode(b.subarray(0, 3)) === 'BZh',
};

describe('real Qubes v2/v3 encrypted backups (../shared/fixtures)', () => {
  testEachShared(backups, 'every archive decrypts to the expected magic', async (b) => {
    const pass = enc(b.manifest.passphrase);
    const magic = MAGIC[b.manifest.compression_filter ?? 'none']!;
    for (const backend of ['node', 'portable'] as const) {
      const cipher = registry.get('cipher', b.manifest.crypto_algorithm!, { backend });
      for (const [name, list] of archives(b.members)) {
        // v3 encrypts one stream split into chunks; v2 encrypts each chunk (a tar volume) on its own.
        const streams = b.manifest.format_version === 3 ? [chunks(list)] : list.map((c) => once(c));
        for (const s of streams) {
          const { bytes } = await consume(cipher.decrypt(s, pass));
          expect([name, magic(bytes)]).toEqual([name, true]);
        }
      }
    }
  });
});
