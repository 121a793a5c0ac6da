import type { ByteStream } from '@qubes-backup/core';
import { limitBytes } from './streams.js';
import type { QubesBackupModel } from './model.js';

/**
 * How many decompressed bytes a VM whose qubes.xml backup-size (disk usage) is `size` may produce
 * before it counts as a decompression bomb: tar headers and maps add little, so 4x plus 8 MiB is
 * far above any real backup and far below a bomb.
 */
export function backupSizeLimit(size: number): number {
  return 4 * size + (8 << 20);
}

/**
 * A stored file's decompressed stream, refused once it far exceeds its VM's backup-size (what the
 * VM's files use on disk; its inner tars decompress to about that much). The reference restore
 * limits extracted bytes to the backup-size sum, with the same `--ignore-size-limit` escape.
 */
export function capped(stream: ByteStream, model: Pick<QubesBackupModel, 'vms' | 'dom0Home'>, vm: string, path: string, ignore: boolean): ByteStream {
  const size = vm === 'dom0' ? model.dom0Home?.backupSize : model.vms.find((v) => v.name === vm)?.backupSize;
  if (ignore || size === undefined || !Number.isFinite(size) || size <= 0) return stream;
  return limitBytes(stream, backupSizeLimit(size), path, `decompressed data far exceeds the VM's backup-size of ${size} bytes ` +
    '(a decompression bomb? --ignore-size-limit restores it anyway)');
}

/**
 * No restored file may claim a larger logical size: 16 TiB is ext4's own file size limit and far
 * beyond any Qubes volume; a sparse map claiming more is hostile.
 */
export const MAX_FILE_SIZE = 2 ** 44;
