/**
 * The pure parts of @qubes-backup/image-ext4, for browsers: where the filesystem sits in a disk
 * image (bare, GPT or MBR partition) and its superblock, read through a callback. No node:* module
 * and no libext2fs, which the main entry loads and which bundlers for the web cannot take.
 */
export { readLayout, locateFilesystem } from './layout.js';
export type { Layout, Partition, FilesystemLocation, ReadAt } from './layout.js';
export { parseSuperblock, hasExtMagic } from './superblock.js';
export type { Superblock } from './superblock.js';
