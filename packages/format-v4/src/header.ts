import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';
import { headerBool, headerVersion } from '@qubes-backup/qubes-common';

/** A validated format-4 `backup-header` (spec §3.1, §3.2). */
export interface V4Header {
  readonly version: 4;
  readonly compressed: boolean;
  /** Present even when not compressed (R4 writes its default, gzip). */
  readonly compressionFilter: string | undefined;
  readonly hmacAlgorithm: string;
  /** Binds every chunk's scrypt passphrase to this backup. */
  readonly backupId: string;
}

const MEMBER = 'backup-header';

/** Checks the keys format 4 requires, as the reference's `validate()` does. */
export function validateV4Header(h: Map<string, string>): V4Header {
  const version = headerVersion(h);
  if (version !== 4) throw new UnsupportedError(`unsupported backup version ${version ?? 'none'} (this tool reads formats 1 to 4)`, { member: MEMBER });
  for (const key of ['encrypted', 'compressed', 'hmac-algorithm', 'backup-id']) {
    if (!h.has(key)) throw new CorruptBackupError(`missing '${key}' in backup header`, { member: MEMBER });
  }
  if (!headerBool(h.get('encrypted'))) {
    throw new UnsupportedError('format 4 backups are always encrypted, but this header says encrypted=False', { member: MEMBER });
  }
  const compressed = headerBool(h.get('compressed'));
  const compressionFilter = h.get('compression-filter');
  if (compressed && compressionFilter === undefined) {
    throw new CorruptBackupError("missing 'compression-filter' in backup header", { member: MEMBER });
  }
  const backupId = h.get('backup-id')!;
  if (backupId === '' || backupId.startsWith('-')) {
    throw new CorruptBackupError(`invalid backup-id '${backupId}'`, { member: MEMBER });
  }
  return { version: 4, compressed, compressionFilter, hmacAlgorithm: h.get('hmac-algorithm')!, backupId };
}
