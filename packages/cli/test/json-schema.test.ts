// Issue 16: one JSON schema for every command, documented in docs/json.md. Every command runs here
// and each answer's fields are checked against that page's tables, so the page cannot drift from
// what the CLI prints; paths of restored files are relative to the destination everywhere.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { captureOutput } from './_output.js';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../../..');
const FIX = join(ROOT, 'test-fixtures');
const sample = join(FIX, 'v4-sample', 'backup.bin');
const files = join(FIX, 'v4-files', 'backup.bin');
const borg = join(FIX, 'borg', 'repokey-lz4', 'repo');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;

const io = captureOutput('qbt-cli-json-');

/**
 * The field names of a table on docs/json.md: the backticked names in the first column of the
 * `index`-th table under the heading `heading` (up to the next heading of the same or a higher level).
 */
function documented(heading: string, index = 0): Set<string> {
  const lines = readFileSync(join(ROOT, 'docs', 'json.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`docs/json.md has no heading '${heading}'`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const tables: Set<string>[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    const h = /^(#+) /.exec(line);
    if (h && h[1]!.length <= level) break;
    if (!line.startsWith('| ')) { inTable = false; continue; }
    if (!inTable) { tables.push(new Set()); inTable = true; continue; }
    const first = line.split('|')[1]!;
    for (const m of first.matchAll(/`([A-Za-z]+)`/g)) tables.at(-1)!.add(m[1]!);
  }
  const table = tables[index];
  if (!table) throw new Error(`docs/json.md: no table ${index} under '${heading}'`);
  return table;
}

const ENVELOPE = documented('The envelope (every answer)');

/** Runs a command with --json; its answer, checked against the envelope and the command's documented fields. */
async function answer(args: string[], status: number, fields: Set<string>): Promise<Record<string, unknown>> {
  io.out = '';
  expect(await main([...args, '--json'])).toBe(status);
  const a = JSON.parse(io.out) as Record<string, unknown>;
  expect(a).toMatchObject({ schema: 1, program: 'qubes-backup', version: VERSION, command: args[0], ok: status === 0 });
  expect('error' in a).toBe(status !== 0);
  const undocumented = Object.keys(a).filter((k) => !ENVELOPE.has(k) && !fields.has(k));
  expect({ command: args[0], undocumented }).toEqual({ command: args[0], undocumented: [] });
  if (a['error']) {
    const error = a['error'] as Record<string, unknown>;
    expect(Object.keys(error).filter((k) => !documented('The envelope (every answer)', 1).has(k))).toEqual([]);
    expect(error['exitStatus']).toBe(status);
  }
  return a;
}

const relativeUnder = (dest: string) => (p: string) => !p.startsWith('/') && existsSync(join(dest, p));

describe('--json answers follow docs/json.md (schema 1)', () => {
  test('info: the backup under "backup", its common fields; a VM with class and an explicit netvm', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const a = await answer(['info', sample], 0, documented('`info`'));
    const backup = a['backup'] as Record<string, unknown> & { vms: Record<string, unknown>[] };
    for (const k of documented('`info`', 1)) expect(Object.keys(backup)).toContain(k);
    const vmFields = documented("A VM's settings (`vm.json`, and `backup.vms[]`)");
    for (const vm of backup.vms) {
      expect(Object.keys(vm).filter((k) => !vmFields.has(k))).toEqual([]);
      expect(vm).toHaveProperty('class');
      expect(vm['netvm'] === null || typeof vm['netvm'] === 'string' || (vm['netvm'] as { default?: unknown }).default === true).toBe(true);
    }
    expect(backup.vms.find((v) => v['name'] === 'dom0')!['netvm']).toBeNull();
  });

  test('verify and extract: units; extract files relative to dest, and vm.json as documented', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    await answer(['verify', sample], 0, documented('`verify`'));
    const dest = join(io.work, 'out');
    const a = await answer(['extract', sample, '--dest', dest], 0, documented('`extract`'));
    expect(a['dest']).toBe(dest);
    expect((a['files'] as string[]).length).toBeGreaterThan(0);
    expect((a['files'] as string[]).every(relativeUnder(dest))).toBe(true);
    const vm = JSON.parse(readFileSync(join(dest, 'work', 'vm.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(vm).filter((k) => !documented("A VM's settings (`vm.json`, and `backup.vms[]`)").has(k))).toEqual([]);
    expect(vm['netvm']).toEqual({ default: true });
  });

  test('extract --dry-run: outputs relative to dest, free and enoughSpace', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    const dest = join(io.work, 'planned');
    const a = await answer(['extract', sample, '--dest', dest, '--dry-run'], 0, documented('`extract`', 1));
    expect(a).toMatchObject({ dryRun: true, dest, enoughSpace: true });
    expect((a['units'] as { output: string }[]).map((u) => u.output)).toEqual(['work', 'dom0-home']);
  });

  test('files: entries rooted at /, from a disk image and from an archive alike', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    process.env['BORG_PASSPHRASE'] = 'borg-fixture';
    const fromImage = await answer(['files', files, '--vm', 'work', '/home/user', '--work-dir', io.work], 0, documented('`files`'));
    const fromArchive = await answer(['files', `${borg}::first`, '/home/user', '-r'], 0, documented('`files`'));
    for (const entries of [fromImage['entries'], fromArchive['entries']] as { path: string; type: string; mtime: string }[][]) {
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        expect(e.path.startsWith('/home/user/')).toBe(true);
        expect(Number.isNaN(Date.parse(e.mtime))).toBe(false);
      }
    }
  });

  test('get: files relative to dest, from a disk image (copied counts) and from an archive (units)', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    process.env['BORG_PASSPHRASE'] = 'borg-fixture';
    const fromImage = join(io.work, 'from-image');
    const a = await answer(['get', files, '--vm', 'work', '/home/user/.bashrc', '--dest', fromImage, '--work-dir', io.work], 0, documented('`get`'));
    expect(a['files']).toEqual(['home/user/.bashrc']);
    expect(a['copied']).toMatchObject({ files: 1 });
    const fromArchive = join(io.work, 'from-archive');
    const b = await answer(['get', `${borg}::first`, 'home/user/docs', '--dest', fromArchive], 0, documented('`get`'));
    expect((b['files'] as string[]).length).toBeGreaterThan(0);
    expect((b['files'] as string[]).every(relativeUnder(fromArchive))).toBe(true);
  });

  test('failures: a wrong passphrase, a missing file and a mistyped option each answer ok false with the exit status', async () => {
    const pf = join(io.work, 'pass');
    writeFileSync(pf, 'wrong\n');
    const wrong = await answer(['verify', sample, '--passphrase-file', pf], 2, documented('`verify`'));
    expect(wrong['error']).toMatchObject({ code: 'E_PASSPHRASE', member: 'backup-header.hmac' });
    const missing = await answer(['info', join(io.work, 'nope.bin')], 4, documented('`info`'));
    expect(missing['error']).toMatchObject({ code: 'E_IO' });
    const typo = await answer(['extract', sample, '--dest', join(io.work, 'x'), '--bogus'], 1, documented('`extract`'));
    expect(typo['error']).toMatchObject({ code: 'E_USAGE', message: "unknown option '--bogus'" });
    // Another tool's verb: no command of ours ran, so the answer has no `command`.
    io.out = '';
    expect(await main(['restore', sample, '--json'])).toBe(1);
    expect(JSON.parse(io.out)).toEqual({
      schema: 1, program: 'qubes-backup', version: VERSION, ok: false,
      error: { code: 'E_USAGE', exitStatus: 1, message: "unknown command 'restore' (did you mean extract?)" },
    });
  });
});
