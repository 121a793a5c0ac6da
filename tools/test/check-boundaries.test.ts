// The one-way imports are enforced: `npm run build` runs tools/check-boundaries.mjs first, and it
// fails on a deliberate wrong-way import, an unlisted dependency or a relative import into another
// package (shown here on a small copy of the layout), and passes on the real repository.
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = fileURLToPath(new URL('../check-boundaries.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'qbt-boundaries-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A repository of two packages: `core` (layer core) and `x` at `layer`, whose source is `code`. */
function repo(name: string, layer: string, code: string, deps: Record<string, string> = {}): string {
  const root = join(work, name);
  const pkg = (dir: string, json: object, src: string) => {
    mkdirSync(join(root, 'packages', dir, 'src'), { recursive: true });
    writeFileSync(join(root, 'packages', dir, 'package.json'), JSON.stringify(json));
    writeFileSync(join(root, 'packages', dir, 'src', 'index.ts'), src);
  };
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ devDependencies: {} }));
  pkg('core', { name: '@qubes-backup/core', nx: { tags: ['layer:core'] } }, 'export const one = 1;\n');
  pkg('app', { name: '@qubes-backup/app', nx: { tags: ['layer:app'] } }, 'export const two = 2;\n');
  pkg('x', { name: '@qubes-backup/x', nx: { tags: [`layer:${layer}`] }, dependencies: deps }, code);
  return root;
}

function run(root: string): { status: number; stderr: string } {
  try {
    execFileSync(process.execPath, [TOOL, '--root', root], { stdio: 'pipe' });
    return { status: 0, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    return { status: err.status, stderr: err.stderr.toString() };
  }
}

test('a part that imports the app (a lower layer importing a higher one) fails', () => {
  const r = run(repo('up', 'part', "import { two } from '@qubes-backup/app';\nexport const x = two;\n", { '@qubes-backup/app': '0.0.0' }));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('part package @qubes-backup/x imports app package @qubes-backup/app');
});

test('a format that imports another format fails', () => {
  const root = repo('sideways', 'format', "import { y } from '@qubes-backup/y';\nexport const x = y;\n", { '@qubes-backup/y': '0.0.0' });
  mkdirSync(join(root, 'packages', 'y', 'src'), { recursive: true });
  writeFileSync(join(root, 'packages', 'y', 'package.json'), JSON.stringify({ name: '@qubes-backup/y', nx: { tags: ['layer:format'] } }));
  writeFileSync(join(root, 'packages', 'y', 'src', 'index.ts'), 'export const y = 1;\n');
  expect(run(root).stderr).toContain('format package @qubes-backup/x imports format package @qubes-backup/y');
});

test('an import missing from package.json, and a relative import into another package, fail', () => {
  const r = run(repo('unlisted', 'part', "import { one } from '@qubes-backup/core';\nimport { two } from '../../app/src/index.js';\nexport const x = one + two;\n"));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("imports '@qubes-backup/core', which @qubes-backup/x's package.json does not list");
  expect(r.stderr).toContain("relative import '../../app/src/index.js' leaves @qubes-backup/x");
});

test('the same package, done right, passes', () => {
  expect(run(repo('right', 'part', "import { one } from '@qubes-backup/core';\nexport const x = one;\n", { '@qubes-backup/core': '0.0.0' })).status).toBe(0);
});

test('the repository itself passes', () => {
  expect(run(ROOT)).toEqual({ status: 0, stderr: '' });
});
