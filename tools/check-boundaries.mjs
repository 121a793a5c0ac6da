#!/usr/bin/env node
// The one-way imports of the plan, checked on every build (`npm run build` runs this first):
//   core ← part ← family ← format ← composition ← app, and engine (restore) on core alone.
// - A package's source imports only packages of the layers its own layer may use (its nx tag
//   `layer:<name>` in package.json): a part never imports a part, a format never another format;
//   only the Qubes family shares within its layer (qubes-xml builds qubes-common's model).
// - testkit (layer:test) is imported by tests only.
// - Every import of a package, in source and in tests, is listed in package.json (source:
//   dependencies; tests: dependencies or devDependencies, or the root's devDependencies, which
//   hold the test runner for every package), and no relative import leaves its package (tests may
//   reach the repository's own tools/, such as the adversarial corpus generator).
// Usage: node tools/check-boundaries.mjs [--root DIR]   (exit 1 and one line per violation)
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which layers each layer's source may import. */
export const ALLOWED = {
  core: [],
  part: ['core'],
  family: ['core', 'family'],
  format: ['core', 'family'],
  engine: ['core'],
  composition: ['core', 'part', 'family', 'format'],
  app: ['core', 'part', 'engine', 'composition'],
  test: ['core', 'part', 'family', 'format', 'engine', 'composition'],
};

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function files(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'fixtures' && e.name !== 'node_modules') out.push(...files(p)); }
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(text) {
  const out = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The npm package an import specifier names (`@scope/name`, `name`), or undefined for builtins and relative paths. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  return builtinModules.includes(name) ? undefined : name;
}

export function check(root) {
  const pkgsDir = join(root, 'packages');
  const pkgs = new Map();
  for (const d of readdirSync(pkgsDir)) {
    const pj = join(pkgsDir, d, 'package.json');
    if (!existsSync(pj)) continue;
    const json = JSON.parse(readFileSync(pj, 'utf8'));
    const tag = (json.nx?.tags ?? []).find((t) => t.startsWith('layer:'));
    pkgs.set(json.name, { dir: join(pkgsDir, d), json, layer: tag?.slice('layer:'.length) });
  }
  const rootDev = new Set(Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies ?? {}));
  const tools = join(root, 'tools') + sep;
  const problems = [];
  for (const [name, p] of pkgs) {
    if (!p.layer || !(p.layer in ALLOWED)) {
      problems.push(`${name}: no layer tag (package.json "nx": { "tags": ["layer:<${Object.keys(ALLOWED).join('|')}>"] })`);
      continue;
    }
    const deps = new Set(Object.keys(p.json.dependencies ?? {}));
    const devDeps = new Set(Object.keys(p.json.devDependencies ?? {}));
    for (const kind of ['src', 'test', 'bench']) {
      for (const f of files(join(p.dir, kind))) {
        const rel = relative(root, f);
        for (const spec of importsOf(readFileSync(f, 'utf8'))) {
          if (spec.startsWith('.')) {
            const target = resolve(dirname(f), spec);
            if (kind !== 'src' && target.startsWith(tools)) continue;
            if (!target.startsWith(p.dir + sep)) problems.push(`${rel}: relative import '${spec}' leaves ${name} (import the package by name)`);
            continue;
          }
          const dep = packageOf(spec);
          if (!dep || dep === name) continue;
          const testCode = kind !== 'src' || p.layer === 'test';
          const listed = deps.has(dep) || (testCode && (devDeps.has(dep) || rootDev.has(dep)));
          if (!listed) problems.push(`${rel}: imports '${dep}', which ${name}'s package.json does not list${kind === 'src' ? ' in dependencies' : ''}`);
          const target = pkgs.get(dep);
          // Tests may import any layer they list (they exercise the whole path).
          if (!target || kind !== 'src') continue;
          if (target.layer === 'test' && p.layer !== 'test') { problems.push(`${rel}: source imports the test helpers '${dep}'`); continue; }
          if (!ALLOWED[p.layer].includes(target.layer)) {
            problems.push(`${rel}: ${p.layer} package ${name} imports ${target.layer} package ${dep} (allowed: ${ALLOWED[p.layer].join(', ') || 'none'}; reach plugins through the registry)`);
          }
        }
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const root = at > 0 ? resolve(process.argv[at + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = check(root);
  for (const p of problems) process.stderr.write(`boundaries: ${p}\n`);
  if (problems.length) {
    process.stderr.write(`boundaries: ${problems.length} import${problems.length > 1 ? 's' : ''} break the plan (tools/check-boundaries.mjs)\n`);
    process.exit(1);
  }
}
