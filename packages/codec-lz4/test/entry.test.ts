// The package is portable: its entry point loads no node:* module, directly or indirectly.
import { expect, test } from '@jest/globals';
import { reachableImports } from '@qubes-backup/testkit';

test('src/index.ts reaches no node:* module', () => {
  const imports = [...reachableImports(new URL('../src/index.ts', import.meta.url))];
  expect(imports).toContain('@qubes-backup/core');
  expect(imports.filter((s) => s.startsWith('node:'))).toEqual([]);
});
