// The qubes-backup command end to end, in-process: exit codes, messages, outputs.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '@qubes-backup/cli';

const FIX = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures');
const sample = join(FIX, 'v4-sample', 'backup.bin');
const files = join(FIX, 'v4-files', 'backup.bin');

let out = '';
let err = '';
let work = '';
beforeEach(() => {
  out = ''; err = '';
  work = mkdtempSync(join(tmpdir(), 'qbt-cli-'));
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env['QUBES_BACKUP_PASSPHRASE'];
  rmSync(work, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('qubes-backup', () => {
  test('--help documents the exit codes and exits 0', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(out).toMatch(/Exit status:[\s\S]*2\s+wrong passphrase/);
  });

  test('a usage error exits 1', async () => {
    expect(await main(['extract', sample])).toBe(1); // --dest missing
    expect(await main(['extract', sample, '--dest', work, '--vm', 'nope'])).toBe(1);
    expect(err).toMatch(/no VM named 'nope'/);
  });

  test('info --json gives the header and the VMs', async () => {
    expect(await main(['info', sample, '--json'])).toBe(0);
    const answer = JSON.parse(out) as { command: string; ok: boolean; backup: { version: number; vms: { name: string; included: boolean }[] } };
    expect(answer).toMatchObject({ command: 'info', ok: true });
    const model = answer.backup;
    expect(model.version).toBe(4);
    expect(model.vms.some((v) => v.name === 'work' && v.included)).toBe(true);
  });

  test('extract writes <dest>/<vm>/private.img, vm.json and dom0-home', async () => {
    expect(await main(['extract', sample, '--dest', work])).toBe(0);
    expect(statSync(join(work, 'work', 'private.img')).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(join(work, 'work', 'vm.json'), 'utf8')).name).toBe('work');
    expect(existsSync(join(work, 'dom0-home', 'user'))).toBe(true);
    // Nothing is overwritten without --force.
    expect(await main(['extract', sample, '--dest', work])).toBe(4);
    expect(err).toMatch(/already exists \(use --force/);
    expect(await main(['extract', sample, '--dest', work, '--force'])).toBe(0);
  });

  test('--vm restricts, dom0 home only with --dom0-home', async () => {
    expect(await main(['extract', sample, '--dest', work, '--vm', 'work'])).toBe(0);
    expect(existsSync(join(work, 'dom0-home'))).toBe(false);
  });

  test('a wrong passphrase exits 2 with "wrong passphrase"', async () => {
    const pf = join(work, 'pass');
    writeFileSync(pf, 'wrong\n');
    expect(await main(['verify', sample, '--passphrase-file', pf])).toBe(2);
    expect(err).toMatch(/wrong passphrase/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  test('--passphrase-file strips one newline only', async () => {
    const pf = join(work, 'pass');
    writeFileSync(pf, 'qubes\n');
    delete process.env['QUBES_BACKUP_PASSPHRASE'];
    expect(await main(['verify', sample, '--passphrase-file', pf, '--json'])).toBe(0);
    writeFileSync(pf, 'qubes \n');
    expect(await main(['verify', sample, '--passphrase-file', pf])).toBe(2);
  });
});

interface ImageEntry { path: string; type: string; size?: number; sha256?: string; target?: string; mode?: number }

describe('files and get (issue 6)', () => {
  const m = JSON.parse(readFileSync(join(FIX, 'v4-files', 'manifest.json'), 'utf8')) as { files: { path: string; image?: { contents: ImageEntry[] } }[] };
  const contents = m.files.find((f) => f.path === 'work/private.img')!.image!.contents;

  test('get BACKUP --vm work /home/user reproduces the tree byte-identical', async () => {
    const dest = join(work, 'out');
    expect(await main(['get', files, '--vm', 'work', '/home/user', '--dest', dest, '--work-dir', work])).toBe(0);
    const wanted = contents.filter((e) => e.path === 'home/user' || e.path.startsWith('home/user/'));
    expect(wanted.length).toBeGreaterThan(10);
    for (const e of wanted) {
      const p = join(dest, e.path);
      const st = lstatSync(p);
      if (e.type === 'dir') expect(st.isDirectory()).toBe(true);
      else if (e.type === 'symlink') expect(readlinkSync(p)).toBe(e.target);
      else { expect(st.size).toBe(e.size); expect(sha(p)).toBe(e.sha256); }
      if (e.mode !== undefined && e.type !== 'symlink') expect(st.mode & 0o777).toBe(e.mode & 0o777);
    }
    // The restored image was removed from the work folder.
    expect(readdirSync(work).filter((n) => n.startsWith('qubes-backup-image-'))).toEqual([]);
  }, 60_000);

  test('files lists the same entries as the image manifest', async () => {
    expect(await main(['files', files, '--vm', 'work', '/home/user', '--recursive', '--json', '--work-dir', work])).toBe(0);
    const listed = (JSON.parse(out) as { entries: { path: string }[] }).entries.map((e) => e.path.replace(/^\//, '')).filter((p) => p !== 'home/user').sort();
    const expected = contents.filter((e) => e.path.startsWith('home/user/')).map((e) => e.path).sort();
    expect(listed).toEqual(expected);
  }, 60_000);

  test('files lists every image of every fixture as its manifest (GPT root.img: partition 3)', async () => {
    for (const fx of ['v4-templates-root', 'v4-files', 'v4-sample']) {
      const fm = JSON.parse(readFileSync(join(FIX, fx, 'manifest.json'), 'utf8')) as { files: { path: string; image?: { contents: ImageEntry[] } }[] };
      for (const img of fm.files.filter((f) => f.image)) {
        const [vm, file] = img.path.split('/') as [string, string];
        out = '';
        const args = ['files', join(FIX, fx, 'backup.bin'), '--vm', vm, '--volume', file.replace('.img', ''), '/', '-r', '--json', '--work-dir', work];
        expect(await main(args)).toBe(0);
        const listed = (JSON.parse(out) as { entries: { path: string; type: string; size: number }[] }).entries
          .map((e) => `${e.path.replace(/^\//, '')} ${e.type} ${e.type === 'file' ? e.size : ''}`).filter((p) => !p.startsWith(' ')).sort();
        const expected = img.image!.contents.map((e) => `${e.path} ${e.type} ${e.type === 'file' ? e.size : ''}`).sort();
        expect({ image: `${fx}/${img.path}`, listed }).toEqual({ image: `${fx}/${img.path}`, listed: expected });
      }
    }
  }, 120_000);

  test('an image that is not ext exits 3', async () => {
    const bad = join(work, 'bad.img');
    writeFileSync(bad, Buffer.alloc(8192, 7));
    expect(await main(['files', bad])).toBe(3);
    expect(err).toMatch(/not an ext2\/3\/4 filesystem/);
  });
});
