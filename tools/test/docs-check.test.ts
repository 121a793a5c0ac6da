// The README checker (tools/docs-check.mjs) must fail on every way an example can be wrong, or
// `npm run docs:check` passing in CI would mean nothing.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkExample, checkReadme, documentationFiles, fencedBlocks, missingInstall, normalizeOutput, readmeExamples } from '../docs-check.mjs';

const TOOL = fileURLToPath(new URL('../docs-check.mjs', import.meta.url));
const fence = '```';
const md = (...blocks: [lang: string, text: string][]) => blocks.map(([lang, text]) => `Some prose.\n\n${fence}${lang}\n${text}\n${fence}\n`).join('\n');

describe('parsing', () => {
  test('a js block and the output block right after it form one example; other blocks are not run', () => {
    const text = md(['ts', 'const notRun = 1;'], ['js', "console.log('a');"]) + `${fence}output\na\n${fence}\n` + md(['sh', 'npm test'], ['js', 'void 0;']);
    expect(readmeExamples(text)).toEqual([
      { line: 9, code: "console.log('a');\n", output: 'a\n' },
      { line: 23, code: 'void 0;\n' },
    ]);
  });

  test('an output block after prose, or after a non-js block, is an example without code (reported, not ignored)', () => {
    expect(readmeExamples(md(['js', 'void 0;'], ['output', 'x']))).toEqual([{ line: 3, code: 'void 0;\n' }, { line: 9, output: 'x\n' }]);
    expect(readmeExamples(`${fence}ts\nx\n${fence}\n${fence}output\ny\n${fence}\n`)).toEqual([{ line: 4, output: 'y\n' }]);
  });

  test('a longer fence holds a shorter one; an unclosed block runs to the end', () => {
    const blocks = fencedBlocks(`${fence}\`md\n${fence}js\nnot an example\n${fence}\n${fence}\`\n${fence}js\ntail\n`);
    expect(blocks.map((b) => [b.lang, b.line, b.text])).toEqual([['md', 1, `${fence}js\nnot an example\n${fence}\n`], ['js', 6, 'tail\n']]);
  });

  test('output comparison ignores trailing white space of lines and of the whole, nothing else', () => {
    expect(normalizeOutput('a  \nb\t\n\n\n')).toBe('a\nb');
    expect(normalizeOutput(' a')).toBe(' a');
  });
});

describe('running', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const check = (code: string, output?: string, timeoutMs?: number) =>
    checkExample({ line: 1, code, ...(output !== undefined ? { output } : {}) }, { cwd: root, ...(timeoutMs ? { timeoutMs } : {}) });

  test('an example that prints its output block passes', async () => {
    expect(await check("console.log('x  ');\nconsole.log('y');", 'x\ny\n\n')).toBeUndefined();
  });

  test('it fails when the example prints something else, throws, rejects, exits non-zero or hangs', async () => {
    expect(await check("console.log('x');", 'y')).toMatch(/^prints something else than its output block:\n.*line 1: expected "y"\n.*printed "x"/);
    expect(await check('undefinedName();')).toMatch(/^exits with 1: ReferenceError: undefinedName is not defined/);
    expect(await check("await Promise.reject(new RangeError('no'));")).toMatch(/^exits with 1: RangeError: no/);
    expect(await check('process.exit(3);')).toBe('exits with 3');
    expect(await check('setInterval(() => {}, 1000);', undefined, 500)).toBe('timed out after 0.5 s');
  });

  test('an output block without code fails', async () => {
    expect(await checkExample({ line: 1, output: 'x' })).toMatch(/follows no/);
  });

  test('the example runs as plain ESM from the given folder, without the test runner\'s NODE_OPTIONS', async () => {
    expect(await check("import { existsSync } from 'node:fs'; console.log(existsSync('tools/docs-check.mjs'), process.env.NODE_OPTIONS === '');", 'true true')).toBeUndefined();
  });
});

test('a published package\'s README needs an Install section; a private one, the root\'s and docs do not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-check-'));
  try {
    for (const [name, pkg, readme] of [['pub', {}, '# x'], ['ok', {}, '# x\n\n## Install\n'], ['priv', { private: true }, '# x']] as const) {
      mkdirSync(join(dir, 'packages', name), { recursive: true });
      writeFileSync(join(dir, 'packages', name, 'package.json'), JSON.stringify(pkg));
      writeFileSync(join(dir, 'packages', name, 'README.md'), readme);
    }
    writeFileSync(join(dir, 'README.md'), '# root');
    expect(missingInstall(documentationFiles(dir), dir)).toEqual(['packages/pub/README.md']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkReadme (what a package test calls) lists the failures of one README, without a callback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-check-'));
  try {
    writeFileSync(join(dir, 'README.md'), md(['js', "console.log('a');"]) + `${fence}output\na\n${fence}\n` + md(['js', 'process.exit(2);'], ['js', 'void 0;']));
    expect(await checkReadme(join(dir, 'README.md'), { root: dir })).toEqual(['README.md:11: exits with 2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the command', () => {
  test('scans README.md, packages/*/README.md and docs/*.md, one line per example, exit 1 on a failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-check-'));
    try {
      mkdirSync(join(dir, 'packages', 'a'), { recursive: true });
      mkdirSync(join(dir, 'packages', 'b', 'test'), { recursive: true });
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'README.md'), md(['js', "console.log('ok');"]) + `${fence}output\nok\n${fence}\n`);
      writeFileSync(join(dir, 'packages', 'a', 'README.md'), md(['js', "console.log('wrong');"]) + `${fence}output\nright\n${fence}\n`);
      writeFileSync(join(dir, 'packages', 'b', 'test', 'README.md'), md(['js', 'throw new Error();']));
      writeFileSync(join(dir, 'docs', 'x.md'), md(['ts', 'not run'], ['js', 'void 0;']));
      expect(documentationFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(['README.md', 'packages/a/README.md', 'docs/x.md']);
      let stdout = '';
      let status = 0;
      try {
        execFileSync(process.execPath, [TOOL, '--root', dir], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      } catch (e) {
        ({ stdout, status } = e as { stdout: string; status: number });
      }
      expect(status).toBe(1);
      expect(stdout).toBe([
        'ok README.md:3',
        'FAIL packages/a/README.md:3: prints something else than its output block:',
        '    line 1: expected "right"',
        '    line 1:   printed "wrong"',
        'ok docs/x.md:9',
        'docs:check: 3 examples in 3 of 3 files: 2 ok, 1 failed',
        '',
      ].join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
