import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A runtime import of a Node built-in, and the source file that makes it. */
export interface BuiltinImport {
  readonly file: string;
  readonly specifier: string;
}

// Runtime imports only: `import type` / `export type` are erased and cannot pull node:* into a bundle.
const STATIC = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\bfrom\s*)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

const BUILTINS = new Set(builtinModules);
const isBuiltin = (s: string): boolean => s.startsWith('node:') || BUILTINS.has(s) || BUILTINS.has(s.split('/')[0]!);

function runtimeSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(STATIC)) if (!m[2]) out.push(m[3]!);
  for (const m of text.matchAll(DYNAMIC)) out.push(m[1]!);
  return out;
}

/**
 * Every Node built-in (`node:crypto`, `fs`, ...) that loading `entry` (a `.ts` source) would load,
 * following relative imports and `@qubes-backup/<pkg>[/<sub>]` (to `packages/<pkg>/src/<sub|index>.ts`).
 * Third-party packages are not followed. Empty means the module is safe to bundle for a browser.
 */
export function builtinImportsFrom(entry: URL): BuiltinImport[] {
  const start = fileURLToPath(entry);
  const marker = `${sep}packages${sep}`;
  const at = start.lastIndexOf(marker);
  if (at < 0) throw new RangeError(`entry must lie under a packages/ folder, got ${start}`);
  const packages = start.slice(0, at + marker.length);
  const seen = new Set<string>();
  const found: BuiltinImport[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeSpecifiers(readFileSync(file, 'utf8'))) {
      if (isBuiltin(spec)) found.push({ file, specifier: spec });
      else if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('@qubes-backup/')) {
        const [pkg, sub = 'index'] = spec.slice('@qubes-backup/'.length).split('/');
        visit(join(packages, pkg!, 'src', `${sub}.ts`));
      }
    }
  };
  visit(start);
  return found;
}
