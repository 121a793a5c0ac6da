// One-off: lays out a workspace package (package.json, tsconfig.json, jest.config.js, src/index.ts).
// Usage: node tools/scaffold.mjs NAME "One-line description" dep1,dep2 [extdep@ver,...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [name, description, siblings = '', external = ''] = process.argv.slice(2);
const dir = `packages/${name}`;
const sib = siblings.split(',').filter(Boolean);
const ext = external.split(',').filter(Boolean);
mkdirSync(`${dir}/src`, { recursive: true });
mkdirSync(`${dir}/test`, { recursive: true });
const deps = {};
for (const s of sib) deps[`@qubes-backup/${s}`] = '0.0.0';
for (const e of ext) { const i = e.lastIndexOf('@'); deps[e.slice(0, i)] = e.slice(i + 1); }
const pkg = {
  name: `@qubes-backup/${name}`, version: '0.0.0', description, license: 'MIT', type: 'module',
  sideEffects: false, files: ['dist', 'src', '!dist/.tsbuildinfo'],
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
  scripts: {
    build: 'tsc -b', test: 'cd ../.. && npm test -- --selectProjects ' + name,
    prepack: "node -e \"require('fs').copyFileSync('../../LICENSE', 'LICENSE')\"",
  },
  dependencies: deps,
};
if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({
  extends: '../../tsconfig.base.json',
  compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
  include: ['src'],
  references: sib.map((s) => ({ path: `../${s}` })),
}, null, 2) + '\n');
writeFileSync(`${dir}/jest.config.js`, `import preset from '../../jest.preset.js';\nexport default { ...preset, displayName: '${name}' };\n`);
if (!existsSync(`${dir}/src/index.ts`)) writeFileSync(`${dir}/src/index.ts`, `export {};\n`);
