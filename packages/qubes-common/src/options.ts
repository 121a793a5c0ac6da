import type { FormatContext, FormatPlugin, PluginDescriptor, PluginInfo } from '@qubes-backup/core';

type Option = NonNullable<PluginInfo['options']>[number];

/** `--compression-filter NAME` (formats 2–4). */
export const COMPRESSION_FILTER_OPTION: Option = {
  name: 'compression-filter', value: 'NAME',
  description: 'Qubes backups: decode with this built-in decoder whatever the header says (none, gzip, bzip2, xz, zstd, lzma); ' +
    'a program named by a header is never run',
};

/** `--ignore-size-limit` (formats 3–4). */
export const IGNORE_SIZE_LIMIT_OPTION: Option = {
  name: 'ignore-size-limit',
  description: "Qubes backups: restore data even when it far exceeds qubes.xml's backup-size (refused by default as a decompression bomb)",
};

/** The Qubes options' values, as a format reads them from the context. */
export function qubesSettings(ctx: Pick<FormatContext, 'settings'>): { forcedFilter: string | undefined; ignoreSizeLimit: boolean } {
  const f = ctx.settings['compression-filter'];
  return { forcedFilter: typeof f === 'string' ? f : undefined, ignoreSizeLimit: ctx.settings['ignore-size-limit'] === true };
}

/**
 * The descriptor of a Qubes format plugin (portable: formats 2–4 read files through the registry
 * only), offering the options it reads.
 */
export function qubesFormat(name: string, options: readonly Option[], detect: FormatPlugin['detect'], open: FormatPlugin['open']): PluginDescriptor<'format'> {
  const info: PluginInfo<'format'> = { kind: 'format', name, backend: 'portable', options };
  return { ...info, create: (): FormatPlugin => ({ info, detect, open }) };
}
