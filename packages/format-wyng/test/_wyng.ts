// Shared by this package's tests: the Wyng archives of ../shared/fixtures/wyng (testkit), a registry
// whose scrypt remembers its keys, and a file's sha256.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
export { cachedScryptRegistry as registry, testEachWyng, wyngFixtures as fixtures, type WyngFixture } from '@qubes-backup/testkit';

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
