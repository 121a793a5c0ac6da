// Format 4 from a file on this machine: each chunk is authenticated by a first read and decrypted
// from a second (Member.reread), and a chunk whose bytes differ the second time is refused, naming it.
import { describe, expect, test } from '@jest/globals';
import { nullSink, openBackup, runArchives } from '@qubes-backup/restore';
import { localSource, memorySource, restoredDigests } from '@qubes-backup/testkit';
import { fixtureBytes, registry } from './_v4.js';

const MULTI = 'v4-gnu-sparse-multichunk';
const CHUNK = 'vm6/private.img.001.enc';

/** Where the stored bytes of `member` start in the fixture: the offset its `reread` opens the source at. */
async function dataOffsetOf(bytes: Uint8Array, member: string): Promise<number> {
  const { source, opened } = localSource(bytes);
  const tar = registry.get('container', 'tar');
  for await (const m of tar.entries(source, { ignoreZeros: true })) {
    if (m.path !== member) continue;
    opened.length = 0;
    const it = m.reread!()[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    return opened[0]!;
  }
  throw new Error(`${member} not found`);
}

describe('format 4 from a local file: chunks read twice', () => {
  const bytes = fixtureBytes(MULTI);

  test('the same files as from a source read once (buffered), and each chunk\'s data opened a second time', async () => {
    const local = localSource(bytes);
    const twice = await restoredDigests(local.source, registry);
    const once = await restoredDigests(memorySource(bytes), registry);
    expect(Object.keys(twice).length).toBeGreaterThan(5);
    expect(twice).toEqual(once);
    const d = await dataOffsetOf(bytes, CHUNK);
    expect(local.opened).toContain(d);
    // Two whole restores, a scrypt derivation per chunk each: ~2 s alone, over 5 s in a fresh-clone CI run on 2 busy cores.
  }, 60_000);

  test('a chunk that reads differently the second time: E_AUTH naming it', async () => {
    const d = await dataOffsetOf(bytes, CHUNK);
    // Only the stream a reread opens, at the chunk's first data byte: one byte flipped 200 bytes in.
    const { source } = localSource(bytes, (offset, piece, at) => {
      if (offset !== d || at > d + 200 || at + piece.length <= d + 200) return piece;
      const out = piece.slice();
      out[d + 200 - at]! ^= 1;
      return out;
    });
    const opened = await openBackup(source, { passphrase: 'qubes', registry });
    await expect(runArchives(opened, nullSink(), { units: ['personal'] })).rejects.toMatchObject({
      code: 'E_AUTH', member: CHUNK, message: expect.stringContaining('read again gave other bytes'),
    });
  }, 60_000);
});
