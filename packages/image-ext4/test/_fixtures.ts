// Decompresses the committed images into a temp dir once per test file and loads the debugfs-made expectations.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

export interface ExpectedEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  sha256?: string;
  target?: string;
}
export interface ExpectedImage {
  image: string;
  imageSha256: string;
  partition: number | null;
  entries: Record<string, ExpectedEntry>;
}

export async function loadExpected(): Promise<Record<string, ExpectedImage>> {
  return JSON.parse(await readFile(new URL('expected.json', FIXTURES), 'utf8')) as Record<string, ExpectedImage>;
}

export interface Workdir {
  dir: string;
  /** Path of the decompressed `<name>.img`. */
  image(name: string): string;
  cleanup(): Promise<void>;
}

export async function unpackImages(names: readonly string[]): Promise<Workdir> {
  const dir = await mkdtemp(join(tmpdir(), 'image-ext4-'));
  for (const n of names) {
    await writeFile(join(dir, `${n}.img`), gunzipSync(await readFile(new URL(`${n}.img.gz`, FIXTURES))));
  }
  return { dir, image: (n) => join(dir, `${n}.img`), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

export async function sha256Stream(s: AsyncIterable<Uint8Array>): Promise<{ hex: string; chunks: number; max: number }> {
  const h = createHash('sha256');
  let chunks = 0;
  let max = 0;
  for await (const c of s) {
    h.update(c);
    chunks++;
    max = Math.max(max, c.length);
  }
  return { hex: h.digest('hex'), chunks, max };
}
