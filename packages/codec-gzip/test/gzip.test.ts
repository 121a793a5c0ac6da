import { describe, expect, test } from '@jest/globals';
import { createGzip, gzipSync, deflateRawSync } from 'node:zlib';
import { Registry, concatBytes } from '@qubes-backup/core';
import { gunzipDecompressionStream, gunzipPortable, gzipDecompressionStream, gzipPortable, crc32 } from '@qubes-backup/codec-gzip';
import { gunzipNode, gzipNode } from '@qubes-backup/codec-gzip/node';
import {
  describeCompressor, drainHashed, expectCode, fixtureReader, flip, pieces, readSums, sha256hex as sha256, type Split,
} from '@qubes-backup/testkit';

const fixture = fixtureReader(new URL('./fixtures/', import.meta.url));
// Node's DecompressionStream is node:zlib; Chromium's member-per-stream behaviour is tested in the page (packages/web/test).
const backends = [gunzipNode, gunzipPortable, gunzipDecompressionStream];
const expected = readSums(fixture('sums.txt'));
const expectCorrupt = (p: Promise<unknown>, pattern = /./) => expectCode(p, 'E_CORRUPT', /^gzip: /, pattern);

/** A gzip member built by hand with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC). */
function fullHeaderMember(content: Uint8Array): Uint8Array {
  const extra = new Uint8Array([0x41, 0x70, 3, 0, 1, 2, 3]);
  const head = concatBytes([
    new Uint8Array([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3, extra.length, 0]), extra,
    new TextEncoder().encode('name.txt\0a comment\0'),
  ]);
  const hcrc = crc32(head) & 0xffff;
  const c = crc32(content);
  const trailer = new Uint8Array([c, c >>> 8, c >>> 16, c >>> 24, content.length, content.length >>> 8, content.length >>> 16, content.length >>> 24]);
  return concatBytes([head, new Uint8Array([hcrc & 0xff, hcrc >>> 8]), deflateRawSync(content), trailer]);
}

for (const descriptor of [gzipNode, gzipPortable, gzipDecompressionStream]) describeCompressor(descriptor, {
  prefix: /^gzip: /, fixture, expected,
  truncate: { fixture: 'text.gz', at: [1, 5, 10, 11, 100, 40_000, -9, -8, -4, -1] },
  inputError: 'text.gz', abort: 'text.gz',
  // 40 MiB, not the default 80: fflate's pushes held up to 102 MiB of a bomb live before the input was cut finer after a large push.
  bomb: { title: 'a 128 MiB bomb from a ~130 kB input streams in small pieces', input: () => gzipZeros(128), maxInput: 200_000, split: 'random', maxLive: 40 * 2 ** 20 },
}, (gunzip) => {
  test('multi-member input fed one byte at a time', async () => {
    const content = fixture('text.gz'); // any bytes will do as content
    const small = concatBytes([fixture('empty.gz'), gzipSync(content.subarray(0, 3000)), fixture('empty.gz'), gzipSync(content.subarray(3000, 9000), { level: 1 })]);
    const got = await drainHashed(gunzip(pieces(small, 'bytes')));
    expect(got.sha256).toBe(sha256(content.subarray(0, 9000)));
  });

  test('every optional header field, alone and after another member', async () => {
    const content = new TextEncoder().encode('hello, header fields\n'.repeat(50));
    const m = fullHeaderMember(content);
    for (const input of [m, concatBytes([gzipSync(content), m])]) {
      for (const split of ['whole', 'bytes'] as Split[]) {
        const got = await drainHashed(gunzip(pieces(input, split)), true);
        expect(sha256(got.bytes!)).toBe(sha256(concatBytes(input === m ? [content] : [content, content])));
      }
    }
  });

  test('empty input', async () => {
    await expectCorrupt(drainHashed(gunzip(pieces(new Uint8Array(0)))));
  });

  test.each([
    ['deflate data', 30_000],
    ['CRC-32 in the trailer', -6],
    ['length in the trailer', -2],
  ])('a flipped bit in the %s', async (_what, k) => {
    const data = fixture('text.gz');
    const at = k < 0 ? data.length + k : k;
    await expectCorrupt(drainHashed(gunzip(pieces(flip(data, at), 'random', at))));
  });

  test('a corrupt first member of two is caught at the member boundary', async () => {
    const data = fixture('multi.gz'); // text.gz then random.gz: flip text.gz's stored CRC-32
    await expectCorrupt(drainHashed(gunzip(pieces(flip(data, fixture('text.gz').length - 7), 'random'))), /CRC|check/i);
  });

  test('reserved header flags are refused', async () => {
    const data = fixture('text.gz').slice();
    data[3] = 0x20;
    await expectCorrupt(drainHashed(gunzip(pieces(data))));
  });

  test('garbage after the last member is an error', async () => {
    const data = concatBytes([fixture('text.gz'), new TextEncoder().encode('garbage!')]);
    await expectCorrupt(drainHashed(gunzip(pieces(data))));
  });
});

async function gzipZeros(mib: number): Promise<Uint8Array> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => gz.on('end', resolve));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(parts);
}

describe('gzip backends agree', () => {
  test('node:zlib output of many members and levels decodes the same on both', async () => {
    const members: Uint8Array[] = [];
    const contents: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const c = new Uint8Array(i * 3000).map((_, j) => (j * (i + 7)) % (i % 3 === 0 ? 251 : 7));
      contents.push(c);
      members.push(gzipSync(c, { level: i % 10 }));
    }
    const input = concatBytes(members);
    const want = sha256(concatBytes(contents));
    for (const gunzip of backends) {
      expect((await drainHashed(gunzip(pieces(input, 'random', 7)))).sha256).toBe(want);
    }
  });

  test('trailing zero bytes: node ignores them like GNU gzip, portable refuses them', async () => {
    const data = concatBytes([fixture('text.gz'), new Uint8Array(512)]);
    expect((await drainHashed(gunzipNode(pieces(data)))).sha256).toBe(expected.get('text.gz')!.sha256);
    await expectCorrupt(drainHashed(gunzipPortable(pieces(data))));
  });

  test('descriptors: gzip and pigz, one per backend', () => {
    const r = new Registry().use(gzipNode, gzipPortable);
    expect(r.get('compressor', 'pigz').info.backend).toBe('node');
    expect(r.get('compressor', 'gzip', { backend: 'portable' }).info.backend).toBe('portable');
    expect(gzipPortable.aliases).toEqual(['pigz']);
  });
});
