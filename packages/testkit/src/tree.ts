import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of a fixture's `*.expected.json` (output path → entry). */
export interface Expected { type: 'file' | 'dir' | 'symlink'; size?: number; sha256?: string; target?: string }

export function loadExpected(path: string): Record<string, Expected> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Expected>;
}

/** Differences between a restored folder and a fixture's expected.json (empty when identical). */
export async function compareTree(dest: string, expected: Record<string, Expected>): Promise<string[]> {
  const bad: string[] = [];
  for (const [rel, e] of Object.entries(expected)) {
    const p = join(dest, rel);
    const st = await fsp.lstat(p).catch(() => undefined);
    if (!st) { bad.push(`${rel}: missing`); continue; }
    if (e.type === 'dir') { if (!st.isDirectory()) bad.push(`${rel}: not a dir`); continue; }
    if (e.type === 'symlink') {
      if (!st.isSymbolicLink()) bad.push(`${rel}: not a symlink`);
      else if ((await fsp.readlink(p)) !== e.target) bad.push(`${rel}: target ${await fsp.readlink(p)} != ${e.target}`);
      continue;
    }
    if (!st.isFile()) { bad.push(`${rel}: not a file`); continue; }
    if (st.size !== e.size) { bad.push(`${rel}: size ${st.size} != ${e.size}`); continue; }
    const sha = createHash('sha256').update(await fsp.readFile(p)).digest('hex');
    if (sha !== e.sha256) bad.push(`${rel}: sha256 differs`);
  }
  return bad;
}

/**
 * Every regular file under `dir` by relative path, with its SHA-256: two restores of the same
 * selection compare equal when these do. Names are read as bytes and shown as latin1, so names
 * that are not UTF-8 (Borg fixtures hold some) stay distinct.
 */
export function fileDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: Buffer, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true, encoding: 'buffer' })) {
      const p = Buffer.concat([d, Buffer.from('/'), e.name]);
      const r = `${rel}${e.name.toString('latin1')}`;
      if (e.isDirectory()) walk(p, `${r}/`);
      else if (e.isFile()) out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(Buffer.from(dir), '');
  return out;
}
