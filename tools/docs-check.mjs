#!/usr/bin/env node
// Runs every README example, so the documentation cannot drift from what the code does.
// Convention: a fenced ```js block is a runnable example (plain ESM, run from the repository root
// after `npm run build`, packages resolving by name to their dist/ through the workspace links,
// reading only committed files). When an ```output block follows it directly, the example's stdout
// must equal it (trailing white space of each line and of the whole ignored). Other blocks (```ts,
// ```sh, ```text) are not run.
// Scans README.md, packages/*/README.md and docs/*.md; one line per example, then a summary;
// exit 1 when any example throws, exits non-zero, times out or prints something else, or when the
// README of a published package has no `## Install` section.
// Usage: node tools/docs-check.mjs [--root DIR] [--timeout SECONDS] [FILE...]
// It imports nothing from the packages (they are what it checks), so a package's own test can use it
// too: import { checkReadme } from '../../../tools/docs-check.mjs' (types in docs-check.d.mts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_TIMEOUT_MS = 60_000;

const FENCE = /^ {0,3}(`{3,})\s*([^`\s]*)[^`]*$/;

/** The lines of a text; its final newline ends the last line rather than starting an empty one. */
function linesOf(text) {
  return text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
}

/**
 * The fenced blocks of a Markdown text, in order: their info word (`js`, `output`, `ts`, ...), text
 * and the 1-based line of the opening fence. A block ends at a fence at least as long as its opener.
 */
export function fencedBlocks(text) {
  const lines = linesOf(text);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const close = new RegExp(`^ {0,3}\`{${open[1].length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j])) j++;
    blocks.push({ lang: open[2], line: i + 1, end: j + 1, text: lines.slice(i + 1, j).map((l) => `${l}\n`).join('') });
    i = j;
  }
  return blocks;
}

/**
 * The runnable examples of a Markdown text: every ```js block, with the ```output block that
 * directly follows it (only blank lines between), if any. An ```output block that follows no ```js
 * block is returned as an example without code, so the caller reports it rather than ignores it.
 */
export function readmeExamples(text) {
  const blocks = fencedBlocks(text);
  const lines = linesOf(text);
  const adjacent = (a, b) => lines.slice(a.end, b.line - 1).every((l) => l.trim() === '');
  const examples = [];
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k];
    const next = blocks[k + 1];
    if (b.lang === 'js') {
      const output = next?.lang === 'output' && adjacent(b, next) ? next.text : undefined;
      examples.push({ line: b.line, code: b.text, ...(output !== undefined ? { output } : {}) });
      if (output !== undefined) k++;
    } else if (b.lang === 'output') {
      examples.push({ line: b.line, output: b.text });
    }
  }
  return examples;
}

/** What the comparison ignores: trailing white space of every line and of the whole text. */
export function normalizeOutput(s) {
  return s.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\s+$/, '');
}

/**
 * Runs one example as a user would: `node --input-type=module` with the code on stdin, from `cwd`.
 * Resolves to its exit code (or the signal that ended it), stdout, stderr and whether it timed out.
 */
export function runExample(code, { cwd, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return new Promise((resolvePromise, reject) => {
    // A test runner's NODE_OPTIONS (Jest's --experimental-vm-modules) is no part of what a user runs.
    const child = spawn(process.execPath, ['--input-type=module', '-'], {
      cwd, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined); // an example that exits before reading all its code
    child.stdin.end(code);
  });
}

/** Why an example failed, or undefined when it passed. */
export async function checkExample(example, { cwd, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  if (example.code === undefined) return 'an ```output block that follows no ```js block';
  const r = await runExample(example.code, { cwd, timeoutMs });
  if (r.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').filter((l) => l.trim() !== '');
    // Node prints the stack after the message; the line naming the error is the useful one.
    const named = last.find((l) => /^\w*(Error|Exception)\b|^Error \[/.test(l.trim())) ?? last.at(-1) ?? '';
    return `exits with ${r.signal ?? r.status}${named ? `: ${named.trim()}` : ''}`;
  }
  if (example.output !== undefined && normalizeOutput(r.stdout) !== normalizeOutput(example.output)) {
    return `prints something else than its output block:\n${diff(normalizeOutput(example.output), normalizeOutput(r.stdout))}`;
  }
  return undefined;
}

/** The first line that differs, both versions (enough to find it; the whole output is one run away). */
function diff(expected, actual) {
  const e = expected.split('\n');
  const a = actual.split('\n');
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  const show = (l) => (l === undefined ? '(nothing)' : JSON.stringify(l));
  return `    line ${i + 1}: expected ${show(e[i])}\n    line ${i + 1}:   printed ${show(a[i])}`;
}

/** Every Markdown file whose examples are checked: README.md, packages/*\/README.md, docs/*.md. */
export function documentationFiles(root) {
  const files = [];
  if (existsSync(join(root, 'README.md'))) files.push(join(root, 'README.md'));
  const packages = join(root, 'packages');
  if (existsSync(packages)) {
    for (const d of readdirSync(packages).sort()) {
      const f = join(packages, d, 'README.md');
      if (existsSync(f)) files.push(f);
    }
  }
  const docs = join(root, 'docs');
  if (existsSync(docs)) for (const f of readdirSync(docs).sort()) if (f.endsWith('.md')) files.push(join(docs, f));
  return files;
}

/**
 * The README files of published packages (package.json without `"private": true`) that have no
 * `## Install` heading: a reader arriving from npm must learn what to install besides the package.
 */
export function missingInstall(files, root) {
  return files.filter((f) => {
    const pj = join(dirname(f), 'package.json');
    if (relative(join(root, 'packages'), f).split(/[\\/]/).length !== 2 || !existsSync(pj)) return false;
    if (JSON.parse(readFileSync(pj, 'utf8')).private === true) return false;
    return !/^## Install\s*$/m.test(readFileSync(f, 'utf8'));
  }).map((f) => relative(root, f));
}

/**
 * Checks every example of the given files, `parallel` at a time, from `root`. Results come in file
 * and line order: `{ file, line, failure? }`, `file` relative to `root`.
 */
export async function checkFiles(files, { root, timeoutMs = DEFAULT_TIMEOUT_MS, parallel = availableParallelism(), onResult } = {}) {
  const jobs = files.flatMap((f) => readmeExamples(readFileSync(f, 'utf8')).map((example) => ({ file: relative(root, f), example })));
  const results = new Array(jobs.length);
  let next = 0;
  let reported = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const { file, example } = jobs[i];
      const failure = await checkExample(example, { cwd: root, timeoutMs });
      results[i] = { file, line: example.line, ...(failure !== undefined ? { failure } : {}) };
      // Report in order as soon as every earlier example is done, so the log reads like the files.
      // (`reported` moves on outside the call: `onResult?.(x)` skips evaluating `x` when there is no callback.)
      for (; reported < jobs.length && results[reported]; reported++) onResult?.(results[reported]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results;
}

/** Checks one README's examples (for a package's own test): the failures, empty when all pass. */
export async function checkReadme(readme, { root, timeoutMs } = {}) {
  // Not `instanceof URL`: a test runner may hand in a URL made in another realm.
  const path = (p) => (typeof p === 'string' ? p : fileURLToPath(p));
  const results = await checkFiles([path(readme)], { root: path(root), ...(timeoutMs ? { timeoutMs } : {}), parallel: 1 });
  return results.filter((r) => r.failure !== undefined).map((r) => `${r.file}:${r.line}: ${r.failure}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const named = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root') root = resolve(args[++i]);
    else if (args[i] === '--timeout') timeoutMs = Number(args[++i]) * 1000;
    else if (args[i] === '--help' || args[i] === '-h') { process.stdout.write('usage: node tools/docs-check.mjs [--root DIR] [--timeout SECONDS] [FILE...]\n'); process.exit(0); }
    else named.push(resolve(args[i]));
  }
  if (!(timeoutMs > 0)) { process.stderr.write('docs:check: --timeout takes a number of seconds\n'); process.exit(1); }
  const files = named.length ? named : documentationFiles(root);
  const results = await checkFiles(files, {
    root, timeoutMs,
    onResult: (r) => process.stdout.write(r.failure === undefined ? `ok ${r.file}:${r.line}\n` : `FAIL ${r.file}:${r.line}: ${r.failure}\n`),
  });
  const noInstall = missingInstall(files, root);
  for (const f of noInstall) process.stdout.write(`FAIL ${f}: no "## Install" section\n`);
  const failed = results.filter((r) => r.failure !== undefined).length;
  const withExamples = new Set(results.map((r) => r.file)).size;
  process.stdout.write(`docs:check: ${results.length} examples in ${withExamples} of ${files.length} files: ${results.length - failed} ok, ${failed} failed`
    + `${noInstall.length ? `; ${noInstall.length} package READMEs without an Install section` : ''}\n`);
  // No example in the whole repository means the scan is broken, not that the documentation is right.
  if (failed || noInstall.length || (results.length === 0 && !named.length)) process.exit(1);
}
