// Issue 16's small stumbles, in-process: passphrases (empty, interrupted, standard input twice, asked
// only after the inputs are checked), --vm lists, nothing selected, parser errors and unknown commands.
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { captureOutput } from './_output.js';

const FIX = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures');
const sample = join(FIX, 'v4-sample', 'backup.bin');

const io = captureOutput('qbt-cli-small-');

describe('passphrases', () => {
  test('an empty passphrase file is refused as empty (exit 1), not tried and called wrong', async () => {
    const pf = join(io.work, 'pass');
    writeFileSync(pf, '\n');
    expect(await main(['verify', sample, '--passphrase-file', pf])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: .*empty/m);
    expect(io.err).toContain(pf);
    expect(io.err).not.toMatch(/wrong passphrase/);
  });

  test('an empty QUBES_BACKUP_PASSPHRASE is refused as empty', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = '';
    expect(await main(['info', sample])).toBe(1);
    expect(io.err).toMatch(/QUBES_BACKUP_PASSPHRASE is empty/);
  });

  test('--passphrase-file - with the backup on standard input too is a usage error, said before anything is read', async () => {
    const read = jest.spyOn(process.stdin, 'on');
    expect(await main(['verify', '-', '--passphrase-file', '-'])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: .*standard input/m);
    expect(read).not.toHaveBeenCalled();
  });

  test('so is /dev/stdin as the backup: it is the same standard input, read by path', async () => {
    expect(await main(['verify', '/dev/stdin', '--passphrase-file', '-'])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: .*standard input/m);
  });
});

describe('inputs, checked before a passphrase is asked', () => {
  test('a folder holding one qubes-* backup file names that file (info, files --vm)', async () => {
    const folder = join(io.work, 'usb');
    mkdirSync(folder);
    const inside = join(folder, 'qubes-2024-01-01T000000');
    copyFileSync(sample, inside);
    writeFileSync(join(folder, 'notes.txt'), 'not a backup\n');
    for (const args of [['info', folder], ['files', folder, '--vm', 'work']]) {
      io.err = '';
      expect(await main(args)).toBe(1);
      expect(io.err).toMatch(/^qubes-backup: error: .*is a folder; the backup in it is/m);
      expect(io.err).toContain(`'${inside}'`);
    }
  });

  test.each([
    ['extract', (dest: string) => ['extract', sample, '--dest', dest]],
    ['get', (dest: string) => ['get', sample, '--vm', 'work', '/home', '--dest', dest]],
  ])('%s: a destination that cannot be made is said before the passphrase is asked', async (_, args) => {
    // No passphrase anywhere: asking for one would end in "no passphrase" (exit 1) instead.
    const dest = join(io.work, 'a-file');
    writeFileSync(dest, 'x');
    expect(await main(args(dest))).toBe(4);
    expect(io.err).toMatch(`'${dest}' exists and is not a folder`);
    expect(io.err).not.toMatch(/passphrase/);
  });

  test('a missing backup given with --vm is "no such file", not "a disk image"', async () => {
    const missing = join(io.work, 'nope.bin');
    expect(await main(['files', missing, '--vm', 'work'])).toBe(4);
    expect(io.err).toMatch(`no such file or folder: '${missing}'`);
    expect(io.err).not.toMatch(/disk image/);
  });

  test('an existing file no format recognizes is the one called a disk image (with --vm, a usage error)', async () => {
    const image = join(io.work, 'private.img');
    writeFileSync(image, Buffer.alloc(4096, 1));
    expect(await main(['files', image, '--vm', 'work'])).toBe(1);
    expect(io.err).toMatch(`'${image}' is a disk image, not a backup`);
  });
});

describe('on a terminal', () => {
  const undo: (() => void)[] = [];
  afterEach(() => { for (const f of undo.splice(0)) f(); });

  /** Standard input as a terminal that types nothing until `type` is called. */
  function terminal(): { type(keys: string): Promise<void> } {
    const stdin = process.stdin;
    // Jest's standard input is a pipe: these two are what a terminal's has.
    for (const [key, value] of [['isTTY', true], ['setRawMode', () => stdin]] as const) {
      const had = Object.getOwnPropertyDescriptor(stdin, key);
      Object.defineProperty(stdin, key, { value, configurable: true, writable: true });
      undo.push(() => { if (had) Object.defineProperty(stdin, key, had); else delete (stdin as unknown as Record<string, unknown>)[key]; });
    }
    jest.spyOn(stdin, 'resume').mockImplementation(() => stdin);
    jest.spyOn(stdin, 'pause').mockImplementation(() => stdin);
    return {
      async type(keys) {
        // The prompt is shown once the backup is opened far enough to need the key.
        for (let i = 0; i < 10_000 && !/passphrase: $/.test(io.err); i++) await new Promise((r) => setImmediate(r));
        expect(io.err).toMatch(/passphrase: $/);
        stdin.emit('data', Buffer.from(keys));
      },
    };
  }

  test('info of a missing backup says "no such file" without asking for the passphrase first', async () => {
    terminal();
    expect(await main(['info', join(io.work, 'missing.bin')])).toBe(4);
    expect(io.err).toMatch(/no such file/);
    expect(io.err).not.toMatch(/passphrase/i);
  });

  test('Ctrl-C at the passphrase prompt exits 130, as shells expect of an interrupted command', async () => {
    const t = terminal();
    const status = main(['info', sample]);
    await t.type('\u0003');
    expect(await status).toBe(130);
    expect(io.err).not.toMatch(/internal error/);
  });

  test('an empty passphrase typed at the prompt is refused as empty', async () => {
    const t = terminal();
    const status = main(['info', sample]);
    await t.type('\r');
    expect(await status).toBe(1);
    expect(io.err).toMatch(/empty/);
    expect(io.err).not.toMatch(/wrong passphrase/);
  });
});

describe('selection', () => {
  beforeEach(() => { process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes'; });

  test('--vm work,dom0 names two VMs, as --vm work --vm dom0 does', async () => {
    expect(await main(['verify', sample, '--vm', 'work,dom0', '--json'])).toBe(0);
    const listed = (JSON.parse(io.out) as { units: { name: string }[] }).units.map((u) => u.name).sort();
    expect(listed).toEqual(['dom0', 'work']);
  });

  test('--vm work --exclude work selects nothing: a usage error, not a run that verified nothing', async () => {
    expect(await main(['verify', sample, '--vm', 'work', '--exclude', 'work'])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: nothing selected/m);
  });
});

describe('the command line itself', () => {
  test("commander's parser errors carry the qubes-backup: prefix", async () => {
    expect(await main(['info'])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: missing required argument/m);
    io.err = '';
    expect(await main(['info', sample, '--no-such-option'])).toBe(1);
    expect(io.err).toMatch(/^qubes-backup: error: unknown option '--no-such-option'/m);
  });

  test.each([['restore', 'extract'], ['list', 'info'], ['ls', 'files'], ['check', 'verify']])('unknown command %s suggests %s', async (typed, meant) => {
    expect(await main([typed, sample])).toBe(1);
    expect(io.err).toMatch(new RegExp(`^qubes-backup: error: unknown command '${typed}'.*did you mean ${meant}\\?`, 'm'));
  });
});

describe('--json answers every outcome on stdout (issue 16: info, files and get printed nothing on an error)', () => {
  test.each([
    ['info', (w: string) => ['info', join(w, 'missing.bin'), '--json'], 4, 'E_IO'],
    ['files', (w: string) => ['files', sample, '--vm', 'nope', '--json'], 1, 'E_USAGE'],
    ['get', (w: string) => ['get', join(w, 'missing.img'), '/a', '--dest', join(w, 'out'), '--json'], 4, 'E_IO'],
  ] as const)('%s: {"ok": false, "error": {code, message}} and the exit status', async (_, args, status, code) => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    expect(await main([...args(io.work)])).toBe(status);
    expect(JSON.parse(io.out)).toEqual({
      schema: 1, program: 'qubes-backup', version: expect.any(String), command: args(io.work)[0], ok: false,
      error: { code, exitStatus: status, message: expect.any(String) },
    });
  });

  test('a command that answers its own failure (extract, with its units) answers once', async () => {
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'wrong';
    expect(await main(['extract', sample, '--dest', join(io.work, 'out'), '--json'])).toBe(2);
    expect(JSON.parse(io.out)).toMatchObject({ ok: false, error: { code: 'E_PASSPHRASE' } });
  });
});

describe('files/get --keep-image: the next call opens the kept image at once (issue 16: every call restored it again)', () => {
  const files = join(FIX, 'v4-files', 'backup.bin');

  test('kept in an owner-only folder named after backup and VM; reused without the backup\'s passphrase; only when asked', async () => {
    const work = join(io.work, 'w');
    process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
    expect(await main(['files', files, '--vm', 'work', '/home/user', '--keep-image', '--work-dir', work])).toBe(0);
    expect(io.err).toMatch(/^Restoring work's private\.img/m);
    const [kept] = readdirSync(work);
    expect(kept).toMatch(/^qubes-backup-kept-[0-9a-f]{16}$/);
    expect(statSync(join(work, kept!)).mode & 0o777).toBe(0o700);

    // No passphrase now: the kept image is used as it is, the backup not even opened.
    delete process.env['QUBES_BACKUP_PASSPHRASE'];
    io.err = '';
    const dest = join(io.work, 'got');
    expect(await main(['get', files, '--vm', 'work', '/home/user/.bashrc', '--dest', dest, '--keep-image', '--work-dir', work])).toBe(0);
    expect(io.err).toMatch(/^Using the image kept at .*\/work\/private\.img$/m);
    expect(io.err).not.toMatch(/Restoring/);
    expect(readFileSync(join(dest, 'home', 'user', '.bashrc'), 'utf8').length).toBeGreaterThan(0);

    // Without --keep-image nothing kept is used: the backup is opened (and its passphrase asked for).
    io.err = '';
    expect(await main(['files', files, '--vm', 'work', '/', '--work-dir', work])).toBe(1);
    expect(io.err).toMatch(/no passphrase/);
  });
});
