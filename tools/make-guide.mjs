#!/usr/bin/env node
// Part of `npm run build`: docs/emergency.md, the guide to keep beside a backup, as a module of the CLI,
// so `qubes-backup guide` prints it wherever the CLI runs (installed from its tarball, or as the
// one-file bundle) with no docs folder there. The Markdown file stays the one source: the module is
// generated (and not committed), rewritten only when the text changed so tsc has nothing to redo.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const text = readFileSync(`${root}docs/emergency.md`, 'utf8');
const out = `${root}packages/cli/src/guide.generated.ts`;
const module = '// Generated from docs/emergency.md by tools/make-guide.mjs (npm run build): edit that file instead.\n' +
  `export const GUIDE = ${JSON.stringify(text)};\n`;
if (!existsSync(out) || readFileSync(out, 'utf8') !== module) writeFileSync(out, module);
