import type { ReadOptions } from '@qubes-backup/core';
import type { FileWriter } from './save.js';

/** One entry of a browsed tree (a VM image's filesystem, a Borg archive, dom0's home). */
export interface TreeEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** Bytes, for files. */
  readonly size: number;
  /** A symlink's target. */
  readonly target?: string;
  /** Permission bits (0o7777) and modification time (seconds since the epoch), where the source keeps them: a zip of a folder carries them on. */
  readonly mode?: number;
  readonly mtime?: number;
}

/** What the file tree shows and saves from; paths are `/`-joined names below the root (`''`). */
export interface TreeSource {
  readonly title: string;
  /** The entries of a folder, folders first, then by name. */
  list(path: string): Promise<readonly TreeEntry[]>;
  /** Writes one regular file into `writer`, reporting bytes through `onProgress`. */
  save(path: string, writer: FileWriter, opts?: ReadOptions): Promise<void>;
  /**
   * For sources whose `save` reads the backup once per file (an archive's members): several files
   * in one read. `readingOrder` puts paths in the order `saveMany` will write them, which calls
   * `open(path)` for each, in that order, just before writing it.
   */
  readonly many?: {
    readingOrder(paths: readonly string[]): string[];
    saveMany(paths: readonly string[], open: (path: string) => FileWriter, opts?: ReadOptions): Promise<void>;
  };
}

export function byTypeThenName(a: TreeEntry, b: TreeEntry): number {
  if ((a.type === 'dir') !== (b.type === 'dir')) return a.type === 'dir' ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
