#!/usr/bin/env node
// Part of `npm run build`: what the CLI must carry wherever it runs (installed from its tarball, or as
// the one-file bundle) with no docs folder or package.json beside it, as generated modules:
// - guide.generated.ts: docs/emergency.md, the guide to keep beside a backup (`qubes-backup guide`);
// - version.generated.ts: the CLI package's version (`--version`, and every `--json` answer), which
//   `nx release` writes into packages/cli/package.json.
// The sources stay the one truth: the modules are not committed, and are rewritten only when their
// text changed, so tsc has nothing to redo.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function generate(file, source, body) {
  const out = `${root}packages/cli/src/${file}`;
  const module = `// Generated from ${source} by tools/make-cli-modules.mjs (npm run build): edit that file instead.\n${body}`;
  if (!existsSync(out) || readFileSync(out, 'utf8') !== module) writeFileSync(out, module);
}

generate('guide.generated.ts', 'docs/emergency.md', `export const GUIDE = ${JSON.stringify(readFileSync(`${root}docs/emergency.md`, 'utf8'))};\n`);
const { version } = JSON.parse(readFileSync(`${root}packages/cli/package.json`, 'utf8'));
generate('version.generated.ts', 'packages/cli/package.json', `export const VERSION = ${JSON.stringify(version)};\n`);
