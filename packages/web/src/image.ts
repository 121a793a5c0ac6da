import { UsageError, withMember, type OpenedBackup, type ReadOptions } from '@qubes-backup/core';
import type { FileWriter } from './save.js';

/** The volumes a Qubes VM may hold as disk images, with their file names. */
export type Volume = 'private' | 'root';

/** Whether the opened backup stores `volume` for `unit` (a Borg archive has no images: never). */
export function hasImage(opened: OpenedBackup, unit: string, volume: Volume): boolean {
  return opened.image?.(unit, volume) !== undefined;
}

/**
 * Decodes one VM image (`private.img`, `root.img`) into `writer`: the backup's archives are read in
 * order, the others skipped, and the image member's extents are written where they belong, so a
 * sparse image's holes cost nothing. Errors name the member they come from.
 */
export async function saveImage(opened: OpenedBackup, unit: string, volume: Volume, writer: FileWriter, opts: ReadOptions = {}): Promise<void> {
  const where = opened.image?.(unit, volume);
  if (!where) throw new UsageError(`${unit} has no ${volume}.img in this backup`);
  const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
  let found = false;
  try {
    for await (const archive of opened.archives((a) => a.unit === unit && where.archive(a), rd)) {
      for await (const member of archive.members({ ...rd, wanted: (m) => where.member(m) })) {
        if (found || !where.member(member)) continue;
        found = true;
        try {
          await writer.start(member.size, `${volume}.img`);
          for await (const extent of member.extents(rd)) {
            await writer.write(extent.offset, extent.bytes);
            opts.onProgress?.(extent.bytes.length);
          }
        } catch (e) {
          throw withMember(e, member.path);
        }
      }
    }
    if (!found) throw new UsageError(`${unit}'s ${volume}.img was not found in the backup's archives`);
    await writer.finish();
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
}
