// Where the passphrase comes from, and what "given" means: asked with `ask: false` (a Borg key's
// empty passphrase is tried first only when none was given), nothing is prompted for.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPassphrase } from '../src/passphrase.js';

const saved = { BORG_PASSPHRASE: process.env['BORG_PASSPHRASE'], QUBES_BACKUP_PASSPHRASE: process.env['QUBES_BACKUP_PASSPHRASE'] };
let work = '';
beforeEach(() => {
  delete process.env['BORG_PASSPHRASE'];
  delete process.env['QUBES_BACKUP_PASSPHRASE'];
  work = mkdtempSync(join(tmpdir(), 'qbt-pass-'));
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  rmSync(work, { recursive: true, force: true });
});

test('nothing given: undefined with ask false, never a prompt', async () => {
  expect(await readPassphrase({ stdinBusy: false, purpose: 'borg', ask: false })).toBeUndefined();
  expect(await readPassphrase({ stdinBusy: true, ask: false })).toBeUndefined();
});

test('given in the environment or a file: the same with ask false as without', async () => {
  process.env['BORG_PASSPHRASE'] = 'from env';
  expect(await readPassphrase({ stdinBusy: false, purpose: 'borg', ask: false })).toBe('from env');
  process.env['BORG_PASSPHRASE'] = '';
  expect(await readPassphrase({ stdinBusy: false, purpose: 'borg', ask: false })).toBe('');
  const file = join(work, 'pass');
  writeFileSync(file, 'from file\n');
  expect(await readPassphrase({ stdinBusy: false, passphraseFile: file, purpose: 'borg', ask: false })).toBe('from file');
});

test('nothing given and no terminal to ask on: the usage error, when asking is allowed', async () => {
  await expect(readPassphrase({ stdinBusy: true, purpose: 'borg' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^no passphrase/) });
});
