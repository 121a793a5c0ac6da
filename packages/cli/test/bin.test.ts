// The installed command (bin/qubes-backup.js runs the built dist/): behaviour only a real process shows.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PKG = join(dirname(new URL(import.meta.url).pathname), '..');
const BIN = join(PKG, 'bin', 'qubes-backup.js');

describe('bin/qubes-backup.js', () => {
  test('is built (npm test builds first)', () => {
    expect(existsSync(join(PKG, 'dist', 'index.js'))).toBe(true);
  });

  test('output piped into a reader that quits early (| head) ends quietly, no EPIPE stack trace', () => {
    // `true` exits at once, long before node starts and writes: every write meets a closed pipe.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" --help | true; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.stdout.trim()).toBe('status 0');
  });
});
