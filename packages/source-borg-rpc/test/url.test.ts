// ssh://[user@]host[:port]/path as borg takes it: the command that runs borg serve, and the path sent.
import { expect, test } from '@jest/globals';
import { serveCommand } from '../src/index.js';

const env = {};

test("a user or host starting with '-' is refused: ssh would take it as an option (-oProxyCommand runs a command)", () => {
  for (const url of ['ssh://-oProxyCommand=touch%20%2Ftmp%2Fx@host/repo', 'ssh://user@-oProxyCommand=x/repo']) {
    expect(() => serveCommand(url, {}, env)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining("starting with '-'") }) as unknown as Error);
  }
});

test("/./repo stays relative to the server's folder, as borg sends it; other paths are normalized", () => {
  expect(serveCommand('ssh://backup@borg.example/./repo', {}, env).path).toBe('/./repo');
  expect(serveCommand('ssh://backup@borg.example/./a/../b/./repo', {}, env).path).toBe('/./b/repo');
  expect(serveCommand('ssh://backup@borg.example/srv/borg/repo', {}, env).path).toBe('/srv/borg/repo');
  expect(serveCommand('ssh://backup@borg.example:2222/srv//borg/', {}, env)).toMatchObject({ path: '/srv/borg', command: ['ssh', '-p', '2222', 'backup@borg.example', 'borg', 'serve'] });
});
