import { CorruptBackupError, UnsupportedError, utf8 } from '@qubes-backup/core';
import { iniSections } from './text-records.js';

/** `archive.ini` starts with these 17 bytes: the format magic, then the cipher mode `ci = XX`. */
export const MAGIC = utf8.encode('[WYNG03]\n');
const MODE_PREFIX = utf8.encode('ci = ');
export const HEADER_LENGTH = 17;
/** Wyng's own bound on archive.ini: (vid + comment + hash + 25) bytes per volume, 1024 volumes, plus 1000. */
export const MAX_CONF_BYTES = (10 + 100 + 44 + 25) * 1024 + 1000 + HEADER_LENGTH;

/** Wyng's names for its compressions, and the registry's. */
export const COMPRESSORS: Readonly<Record<string, string>> = { zstd: 'zstd', zlib: 'zlib', bz2: 'bzip2' };
/** Hash names of `hashtype`: the registry's name of the digest (`hmac-sha256` keys sha256 with a subkey). */
export const HASHTYPES: Readonly<Record<string, string>> = { 'hmac-sha256': 'sha256', blake2b: 'blake2b-256', sha256: 'sha256' };

/** What `[var]` of archive.ini says. */
export interface ArchiveConf {
  readonly uuid: string;
  readonly formatVersion: number;
  readonly chunkSize: number;
  readonly compression: string;
  readonly compressionLevel: string;
  readonly hashType: string;
  readonly ciMode: string;
  /** Seconds since the epoch. */
  readonly updatedAt: number;
  /** Volume ids (`Vol_1a2b3c`) with the hash of each one's volinfo, in file order. */
  readonly volumes: readonly (readonly [vid: string, hash: string])[];
}

/** The cipher mode of an archive.ini, from its first 17 bytes; the body follows them. */
export function parseHeader(file: Uint8Array): { ci: string } | undefined {
  if (file.length < HEADER_LENGTH) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC[i]) return undefined;
  for (let i = 0; i < MODE_PREFIX.length; i++) if (file[MAGIC.length + i] !== MODE_PREFIX[i]) return undefined;
  if (file[HEADER_LENGTH - 1] !== 0x0a) return undefined;
  const ci = utf8.decode(file.subarray(MAGIC.length + MODE_PREFIX.length, HEADER_LENGTH - 1));
  return /^[0-9]{2}$/.test(ci) ? { ci } : undefined;
}

/** The checked settings of archive.ini's text (once decrypted and gunzipped). */
export function parseConf(text: string, ci: string): ArchiveConf {
  const what = 'archive.ini';
  const sections = iniSections(text, what);
  const v = sections.get('var');
  const vols = sections.get('volumes');
  if (!v || !vols) throw new CorruptBackupError('no [var] or [volumes] section', { member: what });
  const get = (k: string): string => {
    const x = v.get(k);
    if (x === undefined) throw new CorruptBackupError(`no '${k}' in [var]`, { member: what });
    return x;
  };
  const formatVersion = Number(get('format_ver'));
  if (formatVersion !== 3) throw new UnsupportedError(`Wyng archive format ${get('format_ver')}: only format 3 (Wyng 0.8) is read`, { member: what });
  const chunkSize = Number(get('chunksize'));
  // 64 KiB × 2^(0…6) is what Wyng creates; a power of two up to 16 MiB is accepted.
  if (!Number.isInteger(chunkSize) || chunkSize < 0x10000 || chunkSize > 1 << 24 || (chunkSize & (chunkSize - 1)) !== 0) {
    throw new CorruptBackupError(`chunk size ${get('chunksize')} is not a power of two from 64 KiB to 16 MiB`, { member: what });
  }
  const compression = get('compression');
  if (!(compression in COMPRESSORS)) throw new UnsupportedError(`compression '${compression}' (known: ${Object.keys(COMPRESSORS).join(', ')})`, { member: what });
  const hashType = get('hashtype');
  if (!(hashType in HASHTYPES)) throw new UnsupportedError(`hash type '${hashType}' (known: ${Object.keys(HASHTYPES).join(', ')})`, { member: what });
  const ciMode = v.get('ci_mode') ?? ci;
  if (ciMode !== ci) throw new CorruptBackupError(`cipher mode ${ciMode} differs from the header's ${ci}`, { member: what });
  const updatedAt = Number(get('updated_at'));
  // After 2018 (Wyng's first), and within what a date can show (±8.64e12 s).
  if (!Number.isFinite(updatedAt) || updatedAt < 1514782800 || updatedAt > 8.64e12) throw new CorruptBackupError(`bad update time '${get('updated_at')}'`, { member: what });
  const uuid = get('uuid');
  if (!/^[0-9a-f]+(-[0-9a-f]+)+$/i.test(uuid)) throw new CorruptBackupError(`malformed uuid '${uuid}'`, { member: what });
  const volumes = [...vols].map(([vid, hash]) => {
    if (!/^Vol_[0-9a-fA-F]+$/.test(vid)) throw new CorruptBackupError(`bad volume id '${vid}'`, { member: what });
    return [vid, hash] as const;
  });
  if (volumes.length > 1024) throw new CorruptBackupError(`${volumes.length} volumes, more than Wyng's 1024`, { member: what });
  return { uuid, formatVersion, chunkSize, compression, compressionLevel: v.get('compr_level') ?? '', hashType, ciMode, updatedAt, volumes };
}
