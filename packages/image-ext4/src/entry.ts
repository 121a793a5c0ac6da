// What the reader reports about one inode, as a plain object (tar-stream's header is the model).

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  /** The name, UTF-8 decoded (ext names are bytes; invalid sequences become U+FFFD). `/` for the root. */
  name: string;
  type: EntryType;
  /** Bytes: the file length, the symlink target length, or the directory's allocated size. */
  size: number;
  /** The full st_mode, type bits included (`mode & 0o7777` for permissions). */
  mode: number;
  /** Whole seconds (libext2fs drops the nanoseconds). */
  mtime: Date;
  uid: number;
  gid: number;
  /** Inode number: entries with the same `ino` are hard links to one file. */
  ino: number;
  /** The symlink's target as stored (not resolved), for `type: 'symlink'` only. */
  target?: string;
}

/** One entry found by `walk`: `path` is absolute inside the filesystem (`/home/user/a.txt`). */
export interface WalkEntry {
  path: string;
  entry: DirEntry;
}

const S_IFMT = 0o170000;

export function typeOfMode(mode: number): EntryType {
  switch (mode & S_IFMT) {
    case 0o100000: return 'file';
    case 0o040000: return 'dir';
    case 0o120000: return 'symlink';
    default: return 'other';
  }
}
