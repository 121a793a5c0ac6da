import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, mkdirSync, mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataExtents, formatV1, treeMembers } from '@qubes-backup/format-v1';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { directorySink, openBackup, runArchives } from '@qubes-backup/restore';
import { registryWith } from '@qubes-backup/testkit';

const registry = registryWith(formatV1);

// R1 qubes.xml (the core2 family without backup_* attributes), as qvm-core wrote it.
const QUBES_XML = `<?xml version='1.0' encoding='UTF-8'?>
<QubesVmCollection clockvm="2" default_fw_netvm="2" default_kernel="3.2.7-10" default_netvm="3" default_template="1" updatevm="3">\
<QubesTemplateVm conf_file="tpl.conf" dir_path="/var/lib/qubes/vm-templates/tpl" label="gray" name="tpl" qid="1" template_qid="none" uses_default_netvm="True" netvm_qid="3"/>\
<QubesNetVm conf_file="net.conf" dir_path="/var/lib/qubes/servicevms/net" label="red" name="net" qid="2" template_qid="1"/>\
<QubesProxyVm conf_file="fw.conf" dir_path="/var/lib/qubes/servicevms/fw" label="green" name="fw" qid="3" template_qid="1" netvm_qid="2"/>\
<QubesAppVm conf_file="work.conf" dir_path="/var/lib/qubes/appvms/work" label="green" name="work" qid="4" template_qid="1" uses_default_netvm="True" netvm_qid="3"/>\
<QubesAppVm conf_file="gone.conf" dir_path="/var/lib/qubes/appvms/gone" label="red" name="gone" qid="5" template_qid="1" uses_default_netvm="True" netvm_qid="3"/>\
<QubesAppVm conf_file="evil.conf" dir_path="/var/lib/qubes/appvms/evil" label="red" name="evil" qid="6" template_qid="1" uses_default_netvm="True" netvm_qid="3"/>\
</QubesVmCollection>
`;

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; out[i] = (s >>> 16) & 0xff || 1; }
  return out;
}

/** A sparse file: the length set with ftruncate, data written only at the given offsets (holes elsewhere). */
function sparseFile(path: string, size: number, runs: [number, Buffer][]): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const [off, data] of runs) writeSync(fd, data, 0, data.length, off);
  } finally {
    closeSync(fd);
  }
}

/** A format-1 backup directory, laid out as R1's qvm-backup (cp -rp) left it. */
function makeBackup(root: string): void {
  writeFileSync(join(root, 'qubes.xml'), QUBES_XML);
  const w = join(root, 'appvms/work');
  mkdirSync(join(w, 'kernels'), { recursive: true });
  sparseFile(join(w, 'private.img'), 1 << 20, [[0, bytes(5000, 1)], [524288, bytes(4096, 2)], [(1 << 20) - 100, bytes(100, 3)]]);
  writeFileSync(join(w, 'firewall.xml'), '<QubesFirewallRules policy="allow"/>\n');
  writeFileSync(join(w, 'kernels/vmlinuz'), bytes(3000, 4));
  symlinkSync('/usr/share/qubes/icons/green.png', join(w, 'icon.png'));
  symlinkSync('/', join(w, 'root-link'));
  // A FIFO must be there to show it is skipped (mkfifo is coreutils: its failure fails the test).
  execFileSync('mkfifo', [join(w, 'a-fifo')], { stdio: 'ignore' });
  const t = join(root, 'vm-templates/tpl');
  mkdirSync(join(t, 'apps'), { recursive: true });
  sparseFile(join(t, 'root.img'), 3 * 4096 + 10, [[4096, bytes(10, 5)]]);
  writeFileSync(join(t, 'apps/xterm.desktop'), '[Desktop Entry]\n');
  mkdirSync(join(root, 'servicevms/net'), { recursive: true });
  writeFileSync(join(root, 'servicevms/net/private.img'), Buffer.alloc(8192));
  // A folder qubes.xml does not list (the Qubes test generator leaves one: test-net).
  mkdirSync(join(root, 'appvms/extra'), { recursive: true });
  writeFileSync(join(root, 'appvms/extra/notes'), 'extra\n');
  // A VM folder that is a symlink: never followed, so that VM is not in the backup.
  symlinkSync('/etc', join(root, 'appvms/evil'));
  const h = join(root, 'dom0-home/user');
  mkdirSync(join(h, 'Documents'), { recursive: true });
  mkdirSync(join(h, 'empty'));
  writeFileSync(join(h, '.bashrc'), '# bashrc\n');
  writeFileSync(join(h, 'Documents/a.txt'), bytes(70000, 6));
  symlinkSync('Documents/a.txt', join(h, 'a-link'));
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('format 1: a backup directory', () => {
  test('restores every VM folder and dom0 home byte-identical, holes kept, links not followed', async () => {
    const work = mkdtempSync(join(tmpdir(), 'qbt-v1-'));
    try {
      const src = join(work, 'qubes-2012-01-01-000000');
      mkdirSync(src);
      makeBackup(src);
      const dest = join(work, 'out');
      mkdirSync(dest);
      const opened = await openBackup(src, { passphrase: '', registry });
      const m = opened.info as QubesBackupModel;
      expect(m.version).toBe(1);
      expect(m.authenticated).toBe(false);
      expect(m.encrypted).toBe(false);
      const inc = Object.fromEntries(m.vms.filter((v) => v.included).map((v) => [v.name, v.backupPath]));
      expect(inc).toEqual({
        tpl: 'vm-templates/tpl', net: 'servicevms/net', work: 'appvms/work', extra: 'appvms/extra',
      });
      expect(m.vms.find((v) => v.name === 'gone')?.included).toBe(false);
      expect(m.vms.find((v) => v.name === 'evil')?.included).toBe(false);
      expect(m.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user' });

      const skipped: string[] = [];
      const report = await runArchives(opened, directorySink(dest), { onEvent: (e) => { if (e.type === 'member' && e.result.skipped) skipped.push(`${e.result.member}: ${e.result.skipped}`); } });
      expect(report.ok).toBe(true);
      expect(statSync(join(src, 'appvms/work/a-fifo')).isFIFO()).toBe(true);
      expect(skipped).toEqual(['appvms/work/a-fifo: fifo entries are not restored']);
      for (const rel of ['appvms/work/private.img', 'appvms/work/firewall.xml', 'appvms/work/kernels/vmlinuz']) {
        expect(sha(join(dest, 'work', rel.slice('appvms/work/'.length)))).toBe(sha(join(src, rel)));
      }
      expect(sha(join(dest, 'tpl/root.img'))).toBe(sha(join(src, 'vm-templates/tpl/root.img')));
      expect(sha(join(dest, 'net/private.img'))).toBe(sha(join(src, 'servicevms/net/private.img')));
      expect(readFileSync(join(dest, 'extra/notes'), 'utf8')).toBe('extra\n');
      expect(sha(join(dest, 'dom0-home/user/Documents/a.txt'))).toBe(sha(join(src, 'dom0-home/user/Documents/a.txt')));
      expect(await fsp.readlink(join(dest, 'work/icon.png'))).toBe('/usr/share/qubes/icons/green.png');
      expect(await fsp.readlink(join(dest, 'work/root-link'))).toBe('/');
      expect(await fsp.readlink(join(dest, 'dom0-home/user/a-link'))).toBe('Documents/a.txt');
      expect(statSync(join(dest, 'dom0-home/user/empty')).isDirectory()).toBe(true);
      expect(() => statSync(join(dest, 'work/a-fifo'))).toThrow();
      expect(() => statSync(join(dest, 'evil'))).toThrow();
      // 1 MiB image with 3 data runs: only their 4 KiB blocks are allocated.
      const img = statSync(join(dest, 'work/private.img'));
      expect(img.size).toBe(1 << 20);
      expect(img.blocks * 512).toBeLessThanOrEqual(8 * 4096);
      // An all-zero file becomes all hole.
      expect(statSync(join(dest, 'net/private.img')).blocks).toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('extents cover exactly the non-zero 4 KiB blocks', async () => {
    const work = mkdtempSync(join(tmpdir(), 'qbt-v1-'));
    try {
      const p = join(work, 'f');
      // Data in blocks 0-1 (written as one run), block 3 (one byte at its end), a partial last block.
      const size = 5 * 4096 + 123;
      const b = Buffer.alloc(size);
      b.fill(7, 0, 8192);
      b[4 * 4096 - 1] = 9;
      b[size - 1] = 1;
      writeFileSync(p, b);
      const ext = [];
      for await (const e of dataExtents(p, 'f', statSync(p))) ext.push([e.offset, e.bytes.length]);
      expect(ext).toEqual([[0, 8192], [12288, 4096], [20480, 123]]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('members are listed depth first in name order; symlinked folders are not entered', async () => {
    const work = mkdtempSync(join(tmpdir(), 'qbt-v1-'));
    try {
      mkdirSync(join(work, 'appvms/x/b'), { recursive: true });
      writeFileSync(join(work, 'appvms/x/b/f'), 'f');
      writeFileSync(join(work, 'appvms/x/a'), 'a');
      symlinkSync('/etc', join(work, 'appvms/x/c'));
      const names = [];
      for await (const m of treeMembers(work, 'appvms/x')) names.push(`${m.type}:${m.path}`);
      expect(names).toEqual(['dir:appvms/x', 'file:appvms/x/a', 'dir:appvms/x/b', 'file:appvms/x/b/f', 'symlink:appvms/x/c']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('files above maxFileSize are refused', async () => {
    const work = mkdtempSync(join(tmpdir(), 'qbt-v1-'));
    try {
      mkdirSync(join(work, 'appvms/x'), { recursive: true });
      writeFileSync(join(work, 'appvms/x/big'), Buffer.alloc(5000));
      const e = await (async () => { for await (const _ of treeMembers(work, 'appvms/x', { maxFileSize: 4096 })) { /* list */ } })()
        .then(() => undefined, (x: unknown) => x as { name: string; member: string });
      expect(e?.name).toBe('CorruptBackupError');
      expect(e?.member).toBe('appvms/x/big');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('a registry without the v1 plugin does not recognize the folder', async () => {
    const work = mkdtempSync(join(tmpdir(), 'qbt-v1-'));
    try {
      writeFileSync(join(work, 'qubes.xml'), QUBES_XML);
      const e = await openBackup(work, { passphrase: '', registry: registryWith() }).then(() => undefined, (x: unknown) => x as Error);
      expect(e?.message).toContain('holds no backup this tool reads');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
