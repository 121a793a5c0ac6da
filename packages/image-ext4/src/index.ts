/**
 * @qubes-backup/image-ext4: read files out of a VM disk image without root, mount or a Linux kernel.
 *
 * - **Image**: a disk image file as restored from a backup: a bare filesystem (`private.img`, older `root.img`)
 *   or a partitioned disk (an R4 template's `root.img`: GPT, the root filesystem on partition 3; or MBR).
 * - **Layout**: where the filesystem sits in the image (`bare`, or a GPT/MBR **Partition**).
 * - **Superblock**: the ext2/3/4 header at byte 1024 of a filesystem, magic 0xEF53.
 * - **Ext4Image**: an opened filesystem to browse (`list`, `stat`, `walk`) and read (`createReadStream`).
 * - **copyOut**: writes chosen files or trees to a host directory, keeping their paths from the filesystem root.
 *
 * Reading uses libext2fs compiled to WebAssembly (the `ext2fs` package). The image file is only ever read:
 * whatever libext2fs writes goes to an in-memory copy-on-write overlay. Node backend only.
 */
export { openImage, READ_CHUNK } from './image.js';
export type { Ext4Image, ImageInfo, OpenImageOptions, ReadStreamOptions } from './image.js';
export { copyOut } from './copy-out.js';
export type { CopyOutOptions, CopiedEntry, CopyOutSummary } from './copy-out.js';
export type { DirEntry, EntryType, WalkEntry } from './entry.js';
export { readLayout, locateFilesystem } from './layout.js';
export type { Layout, Partition, FilesystemLocation, ReadAt } from './layout.js';
export { parseSuperblock, hasExtMagic } from './superblock.js';
export type { Superblock } from './superblock.js';
