import { IoError, type ByteSource, type DirectorySource } from '@qubes-backup/core';
import { blobSource } from './file-source.js';

/** A chosen folder's files by their path below it (`data/0/3`), as `<input webkitdirectory>` gives them. */
type FolderFiles = ReadonlyMap<string, File>;

/**
 * A folder chosen with `<input type=file webkitdirectory>` as a DirectorySource. The browser gives
 * every file below the folder with its `webkitRelativePath` (`repo/data/0/3`); the first segment
 * is the folder itself and is dropped. Folders are what those paths imply (empty ones are not seen).
 */
export function folderSource(files: Iterable<File>): DirectorySource {
  const byPath = new Map<string, File>();
  let root = '';
  for (const f of files) {
    const rel = f.webkitRelativePath || f.name;
    const cut = rel.indexOf('/');
    if (!root) root = cut < 0 ? '' : rel.slice(0, cut);
    byPath.set(cut < 0 ? rel : rel.slice(cut + 1), f);
  }
  return folderFromMap(byPath, root || 'folder');
}

function folderFromMap(byPath: FolderFiles, name: string): DirectorySource {
  const missing = (path: string) => new IoError(`'${path}' is not in the chosen folder '${name}'`);
  return {
    name,
    async list(path) {
      const prefix = path === '' ? '' : `${path.replace(/\/+$/, '')}/`;
      const seen = new Map<string, 'file' | 'dir'>();
      for (const p of byPath.keys()) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const cut = rest.indexOf('/');
        seen.set(cut < 0 ? rest : rest.slice(0, cut), cut < 0 ? 'file' : 'dir');
      }
      if (seen.size === 0 && path !== '') throw new IoError(`'${path}' is not a folder in '${name}'`);
      return [...seen].map(([n, type]) => ({ name: n, type })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async file(path): Promise<ByteSource> {
      const f = byPath.get(path);
      if (!f) throw missing(path);
      return blobSource(f, `${name}/${path}`);
    },
    async readSmall(path, max) {
      const f = byPath.get(path);
      if (!f) return undefined;
      return new Uint8Array(await f.slice(0, max + 1).arrayBuffer());
    },
  };
}
