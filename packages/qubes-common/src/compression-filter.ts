import { UnsupportedError, type Compressor, type Registry } from '@qubes-backup/core';

/** Filters the reference restore accepts from a header (spec §3.2); anything else needs the user's override. */
export const STANDARD_FILTERS: readonly string[] = ['gzip', 'bzip2', 'xz'];
export const OPTIONAL_FILTERS: readonly string[] = ['lzma', 'pbzip2', 'pigz', 'zstd', 'zstdmt'];

/**
 * The decoder for a backup's data. A program named by the header is never executed: known names map
 * to built-in decoders, unknown ones are refused as the reference does unless the user forces a
 * decoder by name (`none` for a pass-through filter such as `less`).
 */
export function resolveCompressor(
  registry: Registry,
  o: { compressed: boolean; filter: string | undefined; forced?: string | undefined },
): Compressor {
  if (o.forced !== undefined) return registry.get('compressor', o.forced);
  if (!o.compressed) return registry.get('compressor', 'none');
  const filter = o.filter ?? 'gzip';
  const lower = filter.toLowerCase();
  if (!STANDARD_FILTERS.includes(lower) && !OPTIONAL_FILTERS.includes(lower)) {
    throw new UnsupportedError(
      `Unusual compression filter '${filter}' found. Use --compression-filter=NAME with one of the built-in ` +
        `decoders (none, gzip, bzip2, xz, zstd, lzma) to force one; '${filter}' is never executed`,
      { member: 'backup-header' },
    );
  }
  if (!registry.has('compressor', lower)) {
    throw new UnsupportedError(`no decoder installed for compression filter '${filter}'`, { member: 'backup-header' });
  }
  return registry.get('compressor', lower);
}
