#!/usr/bin/env node
// Build small, real Qubes OS backups with the real tools (GNU tar, scrypt, openssl, gzip/bzip2/
// xz/zstd, mkfs.ext4, debugfs, sfdisk, split) plus a manifest of everything a restore must produce.
// Every backup is restored by hand and checked against its manifest before it is written.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './cases.mjs';
import { buildCase } from './lib/build.mjs';
import { have, setVerbose, toolVersion } from './lib/proc.mjs';

const HELP = `Usage: node tools/make-fixture/make-fixture.mjs [options]

Builds Qubes backup fixtures (backup.bin + manifest.json) and verifies each one by restoring it
by hand with tar/scrypt/<filter>/debugfs before writing it.

Options:
  --case NAME        build one case (repeatable); see --list
  --all              build every case
  --out DIR          output folder for a single --case (default: test-fixtures/<case>)
  --out-root DIR     parent folder for --all / several cases (default: test-fixtures)
  --passphrase P     override the case's passphrase
  --scrypt-logn N    override scrypt cost (default 14, with -r 8 -p 1)
  --keep-work        keep the temporary work folder (sources, stage, restore)
  --verbose, -v      print every command run
  --list             list the cases and what they exercise
  --tools            print the versions of the tools used
  --help, -h         this text

Examples:
  node tools/make-fixture/make-fixture.mjs --all
  node tools/make-fixture/make-fixture.mjs --case v4-sample --out /tmp/sample -v
`;

const TOOLS = [
  ['tar', ['--version']], ['scrypt', ['--version']], ['openssl', ['version']], ['gzip', ['--version']],
  ['bzip2', ['--help']], ['xz', ['--version']], ['zstd', ['--version']], ['mkfs.ext4', ['-V']],
  ['debugfs', ['-V']], ['sfdisk', ['--version']], ['split', ['--version']], ['node', ['--version']],
];

function main() {
  const { values } = parseArgs({
    options: {
      case: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      out: { type: 'string' },
      'out-root': { type: 'string' },
      passphrase: { type: 'string' },
      'scrypt-logn': { type: 'string' },
      'keep-work': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      list: { type: 'boolean' },
      tools: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.list) {
    for (const [name, make] of Object.entries(CASES)) {
      const c = make();
      process.stdout.write(`${name}\n  ${c.description}\n  exercises: ${c.exercises.join('; ')}\n`);
    }
    return;
  }
  if (values.tools) {
    for (const [t, args] of TOOLS) process.stdout.write(`${t}: ${toolVersion(t, args)}\n`);
    return;
  }
  const missing = TOOLS.map(([t]) => t).filter((t) => !have(t));
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')} (Debian: apt-get install tar scrypt openssl gzip bzip2 xz-utils zstd e2fsprogs fdisk coreutils)`);
  setVerbose(Boolean(values.verbose));

  const names = values.all ? Object.keys(CASES) : values.case ?? [];
  if (names.length === 0) throw new Error('nothing to do: give --case NAME or --all (see --help)');
  if (values.out && names.length !== 1) throw new Error('--out needs exactly one --case');
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const root = path.resolve(values['out-root'] ?? path.join(repo, 'test-fixtures'));
  for (const name of names) {
    const make = CASES[name];
    if (!make) throw new Error(`unknown case ${name}; known: ${Object.keys(CASES).join(', ')}`);
    const def = make();
    if (values.passphrase !== undefined) def.passphrase = values.passphrase;
    if (values['scrypt-logn'] !== undefined) def.kdf = { ...def.kdf, logN: Number(values['scrypt-logn']) };
    const out = path.resolve(values.out ?? path.join(root, name));
    const started = Date.now();
    const m = buildCase(def, out, { keepWork: values['keep-work'] });
    const chunks = m.archives.reduce((s, a) => s + a.chunks.length, 0);
    process.stdout.write(`${name}: ${m.backup_size} bytes, ${m.outer_members.length} members, ${chunks} chunks, ` +
      `${m.files.length} files, verified in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(process.cwd(), out) || '.'}\n`);
  }
  fs.existsSync(root);
}

try {
  main();
} catch (e) {
  process.stderr.write(`make-fixture: ${e.message}\n`);
  process.exit(1);
}
