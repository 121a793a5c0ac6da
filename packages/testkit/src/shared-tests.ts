import { test } from '@jest/globals';
import { hasSharedFixtures, type SharedBackup } from './shared-backups.js';

/**
 * One test per shared backup (`<dir>: <title>`), or, when there is none (../shared/fixtures is
 * absent, or holds no backup of the kind), one skipped test saying so: a clone without the folder
 * then shows its missing cases in the closing "N skipped" instead of losing them silently.
 */
export function testEachShared(backups: readonly SharedBackup[], title: string, fn: (b: SharedBackup) => Promise<void>, timeout?: number): void {
  if (backups.length === 0) {
    test.skip(`${title}: ${hasSharedFixtures ? 'no such backup in' : 'no'} ../shared/fixtures here`, () => undefined);
    return;
  }
  for (const b of backups) test(`${b.dir}: ${title}`, () => fn(b), timeout);
}
