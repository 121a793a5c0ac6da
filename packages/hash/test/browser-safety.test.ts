import { expect, test } from '@jest/globals';
import { builtinImportsFrom } from '@qubes-backup/testkit';

test.each(['index', 'portable'])('src/%s.ts loads no node:* module (browser bundles import it)', (entry) => {
  expect(builtinImportsFrom(new URL(`../src/${entry}.ts`, import.meta.url))).toEqual([]);
});

test('src/node.ts does use node:crypto (the check would notice)', () => {
  expect([...new Set(builtinImportsFrom(new URL('../src/node.ts', import.meta.url)).map((i) => i.specifier))]).toEqual(['node:crypto']);
});
