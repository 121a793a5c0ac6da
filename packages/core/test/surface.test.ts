// Core stays small: the names its entry point exports, counted, so a new export has to replace one
// (issue 17: at most 45, none about one format).
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as core from '@qubes-backup/core';

/** Type names the entry point re-exports (`export * from './x.js'` of each module), read from the sources. */
function typeNames(): string[] {
  const src = (f: string) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');
  const modules = [...src('index.ts').matchAll(/^export \* from [']\.\/([\w-]+)\.js['];$/gm)].map((m) => `${m[1]}.ts`);
  expect(modules.length).toBeGreaterThan(3);
  return modules.flatMap((f) => [...src(f).matchAll(/^export (?:declare )?(?:interface|type) (\w+)/gm)].map((m) => m[1]!));
}

test('core exports at most 45 names, none of them about one format', () => {
  const names = [...new Set([...Object.keys(core), ...typeNames()])].sort();
  expect(names).toEqual(expect.arrayContaining(['Registry', 'FormatPlugin', 'ByteSource', 'Member', 'CorruptBackupError']));
  expect(names.length).toBeLessThanOrEqual(45);
  expect(names.filter((n) => /vm|qubes(?!backuperror)|borg|chunk|header|tar\b/i.test(n))).toEqual([]);
});
