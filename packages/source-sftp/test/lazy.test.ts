// ssh2 is loaded by the first sftp:// connection, not with the plugin: the CLI registers every
// plugin for every command, and ssh2 cost each of them ~4.5 MiB of RSS.
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';

test('importing the plugin (the built package) loads no ssh2 module', () => {
  const program = `
    import { createRequire } from 'node:module';
    const { sftpSourcePlugin } = await import('@qubes-backup/source-sftp');
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/ssh2/'));
    console.log(JSON.stringify({ plugin: sftpSourcePlugin.name, loaded: loaded.length }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ plugin: 'sftp', loaded: 0 });
});
