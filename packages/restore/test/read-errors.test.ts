// A source that fails mid-restore (a USB disk throwing EIO, a file cut while read): the run stops
// with one IoError naming the source, the byte offset and the member being read (exit 4), never a
// "corrupt backup"; files completed before it stay, and nothing incomplete looks complete.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { ByteSource, ByteStream, ReadOptions } from '@qubes-backup/core';
import { extract } from '@qubes-backup/restore';
import { OURS, rejection, sha256hex } from '@qubes-backup/testkit';

const CASE = 'v4-templates-root';
const bytes = new Uint8Array(readFileSync(join(OURS, CASE, 'backup.bin')));
const manifest = JSON.parse(readFileSync(join(OURS, CASE, 'manifest.json'), 'utf8')) as {
  passphrase: string; expected_files?: unknown;
};

/** The outer tar's regular members: name, where its header starts and where its data starts. */
function outer(): { name: string; header: number; data: number; size: number }[] {
  const out = [];
  for (let at = 0; at + 512 <= bytes.length; at += 512) {
    const h = bytes.subarray(at, at + 512);
    if (Buffer.from(h.subarray(257, 262)).toString() !== 'ustar' || h[156] !== 0x30) continue;
    const name = Buffer.from(h.subarray(0, 100)).toString().replace(/\0.*$/s, '');
    const size = parseInt(Buffer.from(h.subarray(124, 136)).toString().replace(/\0.*$/s, '').trim(), 8);
    out.push({ name, header: at, data: at + 512, size });
  }
  return out;
}

/** The backup as a seekable source whose reads fail with EIO once they reach byte `failAt`. */
function failingSource(failAt: number): ByteSource {
  const eio = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' });
  return {
    name: '/media/usb/backup.bin', size: bytes.length, seekable: true,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset + length > failAt && offset < bytes.length) throw eio();
      return bytes.slice(offset, Math.min(bytes.length, offset + length));
    },
    stream(offset = 0, opts?: ReadOptions): ByteStream {
      return (async function* () {
        for (let at = offset; at < bytes.length; at += 4096) {
          opts?.signal?.throwIfAborted();
          if (at + 4096 > failAt) throw eio();
          yield bytes.slice(at, Math.min(bytes.length, at + 4096));
        }
      })();
    },
  };
}

/** Every file under `dir`, relative. */
function files(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? files(dir, p) : [p];
  });
}

describe('a source failing with EIO mid-restore', () => {
  const members = outer();
  const at = (name: string) => members.find((m) => m.name === name)!;
  const images = members.filter((m) => /\/(root|private)\.img\.000\.enc$/.test(m.name));
  const firstVmEnd = images[0]!;
  const nextVm = members.find((m) => m.header > firstVmEnd.header && !m.name.startsWith(firstVmEnd.name.split('/')[0]! + '/'))!;
  const regions: [string, number][] = [
    ['the header', at('backup-header').data + 10],
    ['the middle of a chunk', images[1]!.data + Math.floor(images[1]!.size / 2)],
    ['between members (a VM complete, the next not started)', nextVm.header],
  ];

  test.each(regions)('in %s: IoError (exit 4) naming the source and the byte, nothing complete-looking', async (_, failAt) => {
    const dest = mkdtempSync(join(tmpdir(), 'qbt-eio-'));
    try {
      const e = await rejection(extract(failingSource(failAt), { registry: defaultRegistry(), passphrase: manifest.passphrase, dest }));
      expect(e).toMatchObject({ code: 'E_IO' });
      // The header is read before any member is known (the first 64 KiB, to recognize the format).
      if (failAt > at('backup-header.hmac').data) expect(e.member).toMatch(/^vm\d+\//);
      expect(e.message).toMatch(/^(\S+: )?cannot read '\/media\/usb\/backup\.bin' at byte (\d+): EIO: i\/o error, read$/);
      const offset = Number(/at byte (\d+)/.exec(e.message)![1]);
      expect(offset).toBeLessThanOrEqual(failAt);
      expect(offset).toBeGreaterThan(failAt - (1 << 20));
      // Every final file is one a clean restore writes, with the same bytes: the rest is .partial or absent.
      const clean = mkdtempSync(join(tmpdir(), 'qbt-eio-clean-'));
      try {
        await extract(join(OURS, CASE, 'backup.bin'), { registry: defaultRegistry(), passphrase: manifest.passphrase, dest: clean });
        for (const f of files(dest).filter((p) => !p.endsWith('.partial'))) {
          expect([f, sha256hex(readFileSync(join(dest, f)))]).toEqual([f, sha256hex(readFileSync(join(clean, f)))]);
        }
      } finally {
        rmSync(clean, { recursive: true, force: true });
      }
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });

  test('a short read (the file shrank while read) is an IoError too, not a truncated backup', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'qbt-short-'));
    try {
      const cut = images[1]!.data + 1000;
      const shrinking: ByteSource = {
        ...failingSource(Infinity),
        read: async (offset, length) => bytes.slice(offset, Math.min(cut, offset + length)),
        stream: (offset = 0) => (async function* () { for (let at = offset; at < cut; at += 4096) yield bytes.slice(at, Math.min(cut, at + 4096)); })(),
      };
      const e = await rejection(extract(shrinking, { registry: defaultRegistry(), passphrase: manifest.passphrase, dest }));
      expect(e).toMatchObject({ code: 'E_IO' });
      expect(e.message).toMatch(new RegExp(`short read from '/media/usb/backup.bin' at byte ${cut}: \\d+ of \\d+ bytes \\(the file shrank`));
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });
});
