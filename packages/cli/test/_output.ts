// What the command writes, captured per test: stdout and stderr as text, a fresh work folder, and
// no passphrase in the environment unless the test sets one.
import { afterEach, beforeEach, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Captured {
  out: string;
  err: string;
  /** A new empty folder for each test, removed after it. */
  work: string;
}

/** Registers the hooks of a test file; the returned object holds the current test's output. */
export function captureOutput(prefix: string): Captured {
  const c: Captured = { out: '', err: '', work: '' };
  beforeEach(() => {
    Object.assign(c, { out: '', err: '', work: mkdtempSync(join(tmpdir(), prefix)) });
    jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { c.out += String(s); return true; });
    jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { c.err += String(s); return true; });
    delete process.env['QUBES_BACKUP_PASSPHRASE'];
    delete process.env['BORG_PASSPHRASE'];
  });
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env['QUBES_BACKUP_PASSPHRASE'];
    rmSync(c.work, { recursive: true, force: true });
  });
  return c;
}
