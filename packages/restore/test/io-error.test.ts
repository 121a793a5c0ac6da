// The file-system errors a restore can meet, as the user reads them: disk full said plainly (never
// "HMAC" or "corrupt"), an existing file with the way out (--force), a symlink in the way as an
// unsafe path, anything else with the system's own words; each names the path and keeps the cause.
import { describe, expect, test } from '@jest/globals';
import { io, ioAsync, ioError } from '../src/io-error.js';

const sysError = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

describe('ioError', () => {
  test.each([
    ['ENOSPC', 'E_DISK_FULL', "disk full while writing '/d/f'"],
    ['EDQUOT', 'E_DISK_FULL', "disk full while writing '/d/f'"],
    ['EEXIST', 'E_EXISTS', "'/d/f' already exists (use --force to replace it)"],
    ['ELOOP', 'E_UNSAFE_PATH', "refusing to write through symlink '/d/f'"],
    ['EACCES', 'E_IO', "cannot write '/d/f': EACCES: permission denied"],
  ])('%s: %s', (code, want, message) => {
    const cause = sysError(code, code === 'EACCES' ? 'EACCES: permission denied' : undefined);
    const e = ioError(cause, '/d/f') as Error & { code: string; cause: unknown };
    expect({ code: e.code, message: e.message }).toEqual({ code: want, message });
    expect(e.cause).toBe(cause);
  });
});

describe('io and ioAsync', () => {
  test('pass results through and turn thrown errors into ioError', async () => {
    expect(io(() => 7, '/d/f')).toBe(7);
    expect(await ioAsync(async () => 8, '/d/f')).toBe(8);
    expect(() => io(() => { throw sysError('ENOSPC'); }, '/d/f')).toThrow("disk full while writing '/d/f'");
    await expect(ioAsync(async () => { throw sysError('EEXIST'); }, '/d/g')).rejects.toThrow("'/d/g' already exists");
  });
});
