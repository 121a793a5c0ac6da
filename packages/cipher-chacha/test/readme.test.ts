import { expect, test } from '@jest/globals';
// The same check `npm run docs:check` makes of every README, here for this package's own.
import { checkReadme } from '../../../tools/docs-check.mjs';

test('every README example runs and prints exactly its output block (needs npm run build)', async () => {
  expect(await checkReadme(new URL('../README.md', import.meta.url), { root: new URL('../../../', import.meta.url) })).toEqual([]);
});
