import { readFileSync } from 'node:fs';

/** A reader for one folder of fixtures: `fixtureReader(new URL('./fixtures/', import.meta.url))`. */
export function fixtureReader(dir: URL): (name: string) => Uint8Array {
  return (name) => new Uint8Array(readFileSync(new URL(name, dir)));
}

export interface Sum { size: number; sha256: string }

/** A `sums.txt` (lines `name size sha256`, as the codecs' make.sh write it) as name → sum. */
export function readSums(text: Uint8Array): Map<string, Sum> {
  const m = new Map<string, Sum>();
  for (const line of new TextDecoder().decode(text).split('\n')) {
    const [name, size, sha256] = line.trim().split(' ');
    if (name && size && sha256) m.set(name, { size: Number(size), sha256 });
  }
  return m;
}
