import { expect, test } from '@jest/globals';
import { readmeExample, runExample } from '@qubes-backup/testkit';

test('the README example prints exactly its output block (needs npm run build)', () => {
  const { code, output } = readmeExample(new URL('../README.md', import.meta.url));
  expect(runExample(code, new URL('../../../', import.meta.url))).toBe(output);
});
