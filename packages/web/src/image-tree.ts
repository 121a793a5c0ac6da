import { UsageError, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import { openExt4, type Ext4Reader } from './ext4/reader.js';
import { saveImage, type Volume } from './image.js';
import { memoryImage } from './memory-image.js';
import { byTypeThenName, type TreeSource } from './tree-source.js';

/**
 * The filesystem inside a VM's image as a TreeSource: the image is decoded once into memory (its
 * data only, not its holes, at most `memory` bytes of it), then folders and files are read from there.
 */
export async function imageTree(opened: OpenedBackup, unit: string, volume: Volume, memory: number, opts: ReadOptions = {}): Promise<TreeSource> {
  const image = memoryImage(memory, `${unit}'s ${volume}.img`);
  await saveImage(opened, unit, volume, image.writer, opts);
  const fs: Ext4Reader = await openExt4(image.readAt, image.size(), `${unit}/${volume}.img`);
  return {
    title: `${unit} (${volume}.img)`,
    async list(path) {
      return (await fs.list(path)).map((e) => ({
        name: e.name, type: e.inode.type, size: e.inode.size, mode: e.inode.mode & 0o7777, mtime: e.inode.mtime,
        ...(e.target !== undefined ? { target: e.target } : {}),
      })).sort(byTypeThenName);
    },
    async save(path, writer, o = {}) {
      try {
        const ino = await fs.lookup(path);
        if (ino.type !== 'file') throw new UsageError(`'${path}' is not a regular file`);
        await writer.start(ino.size, path.slice(path.lastIndexOf('/') + 1));
        for await (const p of fs.pieces(ino)) {
          o.signal?.throwIfAborted();
          await writer.write(p.offset, p.bytes);
          o.onProgress?.(p.bytes.length);
        }
        await writer.finish();
      } catch (e) {
        await writer.abort(e).catch(() => undefined);
        throw e;
      }
    },
  };
}
