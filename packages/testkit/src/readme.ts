import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A README's runnable example and what it prints. */
export interface ReadmeExample {
  readonly code: string;
  readonly output: string;
}

/**
 * The first ```js block of a README and the ```output block that must follow it directly, so a
 * test can run the example and compare: the README then cannot drift from what the code prints.
 */
export function readmeExample(readme: URL): ReadmeExample {
  const text = readFileSync(readme, 'utf8');
  const m = /```js\n([\s\S]*?)```\s*```output\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error(`${readme.pathname}: no \`\`\`js block followed by an \`\`\`output block`);
  return { code: m[1]!, output: m[2]! };
}

/**
 * Runs a README example as a user would (plain `node`, ES module, from `cwd`, so packages resolve
 * by name to their built `dist/`) and returns what it printed. Throws with its stderr when it fails.
 */
export function runExample(code: string, cwd: URL): string {
  // The test runner's NODE_OPTIONS (--experimental-vm-modules) is no part of what a user runs.
  const env = { ...process.env, NODE_OPTIONS: '' };
  return execFileSync(process.execPath, ['--input-type=module', '-'], {
    cwd: fileURLToPath(cwd), input: code, env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
  });
}
