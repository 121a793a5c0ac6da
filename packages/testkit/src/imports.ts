import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;}])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Every module specifier a source file reaches, following its relative imports and the
 * workspace's `@qubes-backup/*` packages (their src/, as the Jest preset maps them) but not other
 * packages. For checks such as "this entry point never loads node:*" (browser builds). Type-only
 * imports are left out: they are erased.
 */
export function reachableImports(entry: string | URL): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
    for (const m of text.matchAll(SPECIFIER)) {
      if (/^\s*[;}]?\s*(?:import|export)\s+type\s/.test(m[0])) continue;
      const spec = (m[1] ?? m[2] ?? m[3])!;
      found.add(spec);
      const target = resolve(file, spec);
      if (target) visit(target);
    }
  };
  visit(entry instanceof URL ? fileURLToPath(entry) : entry);
  return found;
}

function resolve(from: string, spec: string): string | undefined {
  if (spec.startsWith('.')) {
    const file = join(dirname(from), spec.replace(/\.js$/, '.ts'));
    return existsSync(file) ? file : undefined;
  }
  const m = /^@qubes-backup\/([^/]+)(?:\/(node|portable))?$/.exec(spec);
  if (!m) return undefined;
  const file = join(PACKAGES, m[1]!, 'src', `${m[2] ?? 'index'}.ts`);
  return existsSync(file) ? file : undefined;
}
