/**
 * @qubes-backup/web: the restorer as one HTML page (`dist/qubes-backup.html`; the page itself is
 * `main.ts`). This entry names the page's browser building blocks, none of which loads a node:*
 * module (checked by packages/all's browser-safety test):
 *
 * - **blobSource**: a chosen `File` as a seekable ByteSource, read with `slice().arrayBuffer()`.
 * - **folderSource**: a folder chosen with `<input webkitdirectory>` as a DirectorySource.
 * - **openInPage**: detect the format among the registry's, then open it (the library's openBackup
 *   reads through node:fs).
 * - **saveImage**: one VM image into a **FileWriter** (the save dialog's file, or a Blob download).
 * - **archiveTree**, **imageTree**: a **TreeSource** (folders to list, files to save) over a unit's
 *   stored trees, or over the ext4 filesystem of its image (**openExt4**, a read-only reader).
 */
export { blobSource } from './file-source.js';
export { folderSource } from './dir-source.js';
export { openInPage, type OpenInPageOptions } from './open-backup.js';
export { saveImage, hasImage, type Volume } from './image.js';
export { canPickSaveFile, pickFileWriter, downloadWriter, BLOB_LIMIT, type FileWriter } from './save.js';
export { archiveTree } from './archive-tree.js';
export { imageTree } from './image-tree.js';
export { openExt4, type Ext4Reader, type Ext4Entry } from './ext4/reader.js';
export { memoryImage, type MemoryImage } from './memory-image.js';
export type { TreeSource, TreeEntry } from './tree-source.js';
