// Every package's main entry point loads in a browser: no node:* module, directly or through what
// it imports (node backends live behind `./node` subpaths). The packages that are Node-only by
// nature say so here, with the reason.
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinImportsFrom } from '@qubes-backup/testkit';

const PACKAGES = new URL('../../', import.meta.url);
/**
 * Node-only by nature: the CLI, the engine (reads files and folders), format 1 (walks a folder), the ext4 reader (WASM file),
 * test helpers, and the SSH transports (sockets and a remote shell; the browser build leaves them out).
 */
const NODE_ONLY = new Set(['cli', 'restore', 'format-v1', 'image-ext4', 'testkit', 'source-sftp', 'source-borg-rpc']);

const packages = readdirSync(PACKAGES).filter((d) => {
  try { return JSON.parse(readFileSync(new URL(`${d}/package.json`, PACKAGES), 'utf8')).name.startsWith('@qubes-backup/'); } catch { return false; }
});

test('there are packages to check', () => expect(packages.length).toBeGreaterThan(20));

test.each(packages.filter((p) => !NODE_ONLY.has(p)))('%s: src/index.ts loads no node:* module', (p) => {
  expect(builtinImportsFrom(new URL(`${p}/src/index.ts`, PACKAGES))).toEqual([]);
});
