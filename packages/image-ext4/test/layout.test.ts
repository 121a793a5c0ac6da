import { describe, expect, test } from '@jest/globals';
import { hasExtMagic, locateFilesystem, parseSuperblock, readLayout, type ReadAt } from '@qubes-backup/image-ext4';

function reader(img: Uint8Array): ReadAt {
  return async (pos, len) => {
    const out = new Uint8Array(len);
    if (pos < img.length) out.set(img.subarray(pos, Math.min(img.length, pos + len)));
    return out;
  };
}

function superblock(patch: (v: DataView) => void = () => undefined): Uint8Array {
  const sb = new Uint8Array(1024);
  const v = new DataView(sb.buffer);
  v.setUint32(0, 128, true); // inodes
  v.setUint32(4, 1024, true); // blocks
  v.setUint32(20, 1, true); // first data block
  v.setUint32(24, 0, true); // 1 KiB blocks
  v.setUint32(32, 8192, true);
  v.setUint32(40, 128, true);
  v.setUint16(56, 0xef53, true);
  v.setUint32(76, 1, true);
  v.setUint16(88, 256, true);
  patch(v);
  return sb;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('superblock', () => {
  test('a minimal valid one parses as ext2', () => {
    expect(parseSuperblock(superblock())).toMatchObject({ kind: 'ext2', blockSize: 1024, blocksCount: 1024, size: 1 << 20, needsRecovery: false });
  });

  test('journal → ext3, extents → ext4, needs_recovery is reported, 64-bit block counts add the high word', () => {
    expect(parseSuperblock(superblock((v) => v.setUint32(92, 0x4, true))).kind).toBe('ext3');
    expect(parseSuperblock(superblock((v) => v.setUint32(96, 0x40, true))).kind).toBe('ext4');
    expect(parseSuperblock(superblock((v) => v.setUint32(96, 0x4, true))).needsRecovery).toBe(true);
    expect(parseSuperblock(superblock((v) => { v.setUint32(96, 0x80, true); v.setUint32(0x150, 2, true); })).blocksCount).toBe(2 * 2 ** 32 + 1024);
  });

  test.each([
    ['block size', (v: DataView) => v.setUint32(24, 7, true)],
    ['zero blocks', (v: DataView) => v.setUint32(4, 0, true)],
    ['zero inodes', (v: DataView) => v.setUint32(40, 0, true)],
    ['blocks per group', (v: DataView) => v.setUint32(32, 0, true)],
    ['inode size', (v: DataView) => v.setUint16(88, 100, true)],
    ['revision', (v: DataView) => v.setUint32(76, 9, true)],
    ['external journal', (v: DataView) => v.setUint32(96, 0x8, true)],
  ])('refuses %s', (what, patch) => {
    expect(() => parseSuperblock(superblock(patch))).toThrow(/corrupt superblock/);
  });

  test('no magic is "not an ext2/3/4 filesystem"', () => {
    expect(hasExtMagic(new Uint8Array(1024))).toBe(false);
    expect(() => parseSuperblock(new Uint8Array(1024))).toThrow(/not an ext2\/3\/4 filesystem/);
  });
});

describe('layout', () => {
  test('a bare filesystem wins over a stray 0x55AA', async () => {
    const img = new Uint8Array(4096);
    img.set(superblock(), 1024);
    img[510] = 0x55;
    img[511] = 0xaa;
    expect(await readLayout(reader(img), img.length)).toEqual({ scheme: 'bare', partitions: [] });
  });

  test('MBR with nothing ext in it is refused clearly', async () => {
    const img = new Uint8Array(64 * 1024);
    img[510] = 0x55;
    img[511] = 0xaa;
    const v = new DataView(img.buffer);
    img[446 + 4] = 0x83;
    v.setUint32(446 + 8, 8, true);
    v.setUint32(446 + 12, 64, true);
    expect((await readLayout(reader(img), img.length)).partitions).toEqual([{ index: 1, scheme: 'mbr', offset: 4096, size: 32768, type: '83', name: '' }]);
    expect(await rejection(locateFilesystem(reader(img), img.length))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('none of the 1 MBR partitions') });
    img.set(superblock(), 4096 + 1024);
    expect((await locateFilesystem(reader(img), img.length)).offset).toBe(4096);
  });

  test('a GPT header with an absurd table is corrupt, not a huge allocation', async () => {
    const img = new Uint8Array(8192);
    img.set(new TextEncoder().encode('EFI PART'), 512);
    const v = new DataView(img.buffer);
    v.setBigUint64(512 + 72, 2n, true);
    v.setUint32(512 + 80, 1_000_000, true);
    v.setUint32(512 + 84, 128, true);
    expect(await rejection(readLayout(reader(img), img.length))).toMatchObject({ code: 'E_CORRUPT', message: expect.stringContaining('corrupt GPT header') });
  });
});
