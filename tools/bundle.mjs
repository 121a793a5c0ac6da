#!/usr/bin/env node
// `npm run bundle`: the CLI as one file, dist/qubes-backup.mjs at the repository root, for a person who
// has only `node` (>= 20): `node qubes-backup.mjs extract BACKUP --dest DIR`. Every package and
// third-party module is inside; the WebAssembly modules (lz4, zstd, ext2fs) are already base64 in
// their JavaScript. Needs the build (`npm run build`) first: it bundles packages/cli/bin and dist/.
import { build } from 'esbuild';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/qubes-backup.mjs`;
/** The issue's bound: small enough to keep on the USB stick beside the backup, and to read. */
const MAX_BYTES = 3 * 1024 * 1024;

/**
 * ext2fs's lib/fs.js assigns to two `const`s (in `realpath` and a read stream, neither of which the
 * image reader calls); Node runs it because those lines never execute, esbuild refuses to bundle it.
 * Only those two declarations become `let`; a changed file fails the bundle instead of being patched blind.
 */
const ext2fsConsts = {
  name: 'ext2fs-consts',
  setup(b) {
    b.onLoad({ filter: /[\\/]ext2fs[\\/]lib[\\/]fs\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const fixes = [['const path = require(\'path\');', 'let path = require(\'path\');'],
        ['const toRead = Math.min(pool.length - pool.used, n);', 'let toRead = Math.min(pool.length - pool.used, n);']];
      let patched = text;
      for (const [from, to] of fixes) {
        if (!patched.includes(from)) throw new Error(`ext2fs/lib/fs.js changed: '${from}' not found; review the bundle fix`);
        patched = patched.replace(from, to);
      }
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * Native addons (`*.node`) cannot live in one JavaScript file. ssh2 (sftp://) loads its optional
 * ones (sshcrypto, cpu-features) inside try/catch and uses its pure-JavaScript code without them,
 * so each becomes a module that throws when loaded, and the bundle keeps sftp:// working.
 */
const noNativeAddons = {
  name: 'no-native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'no-native-addon' }));
    b.onLoad({ filter: /.*/, namespace: 'no-native-addon' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`native addon ${args.path} is not in the bundle`)});`, loader: 'js',
    }));
  },
};

await build({
  entryPoints: [`${root}packages/cli/bin/qubes-backup.js`],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS modules inside an ES module bundle still call require() for Node's own modules, and
  // ext2fs's emscripten glue reads __dirname (its WebAssembly is a data: URL, never a file there).
  banner: {
    js: ["import { createRequire as __qbtCreateRequire } from 'node:module';",
      "import { dirname as __qbtDirname } from 'node:path';",
      "import { fileURLToPath as __qbtFileURLToPath } from 'node:url';",
      'const require = __qbtCreateRequire(import.meta.url);',
      'const __filename = __qbtFileURLToPath(import.meta.url);',
      'const __dirname = __qbtDirname(__filename);'].join(' '),
  },
  legalComments: 'eof',
  logLevel: 'warning',
  plugins: [ext2fsConsts, noNativeAddons],
});
const { size } = await stat(out);
if (size > MAX_BYTES) {
  process.stderr.write(`bundle: ${out} is ${size} bytes, more than ${MAX_BYTES}\n`);
  process.exit(1);
}
process.stdout.write(`bundle: ${out} (${(size / 1024 / 1024).toFixed(2)} MiB)\n`);
