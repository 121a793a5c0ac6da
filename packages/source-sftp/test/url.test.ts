// sftp:// and ssh:// locations: what is the home folder, what is absolute.
import { expect, test } from '@jest/globals';
import { parseSshUrl } from '../src/index.js';

const ctx = { settings: {}, host: { env: { USER: 'me' } } } as unknown as Parameters<typeof parseSshUrl>[1];

test('/~/x and /./x are x in the home folder (scp\'s way and borg\'s); anything else is absolute', () => {
  expect(parseSshUrl('sftp://h/~/backups/repo', ctx).path).toBe('backups/repo');
  expect(parseSshUrl('ssh://h/./backups/repo', ctx).path).toBe('backups/repo');
  expect(parseSshUrl('sftp://h/./', ctx).path).toBe('.');
  expect(parseSshUrl('sftp://h/srv/backups', ctx)).toMatchObject({ path: '/srv/backups', user: 'me', port: 22 });
});
