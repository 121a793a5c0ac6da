// The package is portable: its entry point loads no node:* module, directly or indirectly.
import { expect, test } from '@jest/globals';
import { builtinImportsFrom } from '@qubes-backup/testkit';

test('src/index.ts reaches no node:* module', () => {
  expect(builtinImportsFrom(new URL('../src/index.ts', import.meta.url))).toEqual([]);
});
