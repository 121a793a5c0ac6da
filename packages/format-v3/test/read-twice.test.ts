// Format 3 from a file on this machine: a chunk of 1 MiB or more is authenticated by a first read and
// passed on from a second (Member.reread) instead of held; one whose bytes differ the second time is
// refused, naming it. The backup is a real one (GNU tar, openssl dgst) with one stored file replaced.
import { describe, expect, test } from '@jest/globals';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatV3 } from '@qubes-backup/format-v3';
import { nullSink, openBackup, runArchives } from '@qubes-backup/restore';
import { enc, localSource, memorySource, readOuter, registryWith, restoredDigests, writeOuter, type OuterMember } from '@qubes-backup/testkit';

const registry = registryWith(formatV3);
const MiB = 2 ** 20;
const FILE = 'appvms/work/private.img';
const CHUNK = `${FILE}.000`;
const image = randomBytes(5 * MiB / 2);

const stored = (name: string, data: Uint8Array): OuterMember[] => [
  { name, data },
  { name: `${name}.hmac`, data: enc(`SHA2-512(stdin)= ${createHmac('sha512', 'qubes').update(data).digest('hex')}\n`) },
];

/** The plain, uncompressed fixture with work's private.img replaced by a 2.5 MiB image in two chunks (2 MiB and the rest). */
async function backup(): Promise<Uint8Array> {
  const fixture = new Uint8Array(readFileSync(join(new URL('.', import.meta.url).pathname, 'fixtures', 'v3-plain-none.bin')));
  const members = await readOuter(registry, fixture);
  const inner = writeOuter([{ name: FILE, data: image }]);
  const at = members.findIndex((m) => m.name === CHUNK);
  const others = members.filter((m) => !m.name.startsWith(`${FILE}.`));
  others.splice(at, 0, ...stored(CHUNK, inner.subarray(0, 2 * MiB)), ...stored(`${FILE}.001`, inner.subarray(2 * MiB)));
  return writeOuter(others);
}

/** Where the stored bytes of the 2 MiB chunk start: 512 bytes after its header. */
function chunkOffset(bytes: Uint8Array): number {
  const name = enc(CHUNK);
  for (let o = 0; o < bytes.length; o += 512) {
    if (name.every((b, i) => bytes[o + i] === b) && bytes[o + name.length] === 0) return o + 512;
  }
  throw new Error(`${CHUNK} not found`);
}

describe('format 3 from a local file: large chunks read twice', () => {
  test('the same files as from a source read once (buffered); the 2 MiB chunk opened twice, its body never streamed by the outer tar', async () => {
    const bytes = await backup();
    const local = localSource(bytes);
    const twice = await restoredDigests(local.source, registry);
    const once = await restoredDigests(memorySource(bytes), registry);
    expect(twice).toEqual(once);
    expect(twice['work/private.img']).toBe(createHash('sha256').update(image).digest('hex'));
    const d = chunkOffset(bytes);
    expect(local.opened.filter((o) => o === d)).toHaveLength(2);
  });

  test('a chunk that reads differently the second time: E_AUTH naming it', async () => {
    const bytes = await backup();
    const d = chunkOffset(bytes);
    let opens = 0;
    // The chunk's second read (the second one starting at its first byte) sees one byte flipped 1.5 MiB in.
    const { source } = localSource(bytes, (_offset, piece, at) => {
      if (at === d) opens++;
      const flip = d + 3 * MiB / 2;
      if (opens < 2 || at > flip || at + piece.length <= flip) return piece;
      const out = piece.slice();
      out[flip - at]! ^= 1;
      return out;
    });
    const opened = await openBackup(source, { passphrase: 'qubes', registry });
    await expect(runArchives(opened, nullSink(), { units: ['work'] })).rejects.toMatchObject({
      code: 'E_AUTH', member: CHUNK, message: expect.stringContaining('changed while being read'),
    });
  });
});

