import {
  CorruptBackupError, UnsupportedError, UsageError, utf8,
  type BackupInput, type FormatContext, type OpenedBackup, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import { folderSource } from './dir-source.js';

/** How many leading bytes of a file formats see to recognize it (as the CLI: `FormatPlugin.detect`). */
const PROBE_BYTES = 64 << 10;

export interface OpenInPageOptions extends ReadOptions {
  readonly registry: Registry;
  /** The passphrase typed in the page; asked for only when the format needs one. */
  readonly passphrase: string;
  /** Cores and memory derivations ahead of use may take (absent: none ahead). */
  readonly resources?: FormatContext['resources'];
  /** A Borg key file chosen in the page, given to the Borg plugin as its `keyfile` option. */
  readonly keyFile?: File;
}

/**
 * Opens a backup chosen in the page with the first registered format that recognizes it. The same
 * steps as the library's `openBackup` (`@qubes-backup/restore` reads files through node:fs, so the
 * page composes them from core): each format's `detect` on the first 64 KiB, then its `open`.
 */
export async function openInPage(input: BackupInput, options: OpenInPageOptions): Promise<OpenedBackup> {
  const head = input.kind === 'file' ? await input.source.read?.(0, PROBE_BYTES, options.signal ? { signal: options.signal } : {}) : undefined;
  const format = await options.registry.detect(input, head);
  if (!format) throw unrecognized(options.registry, input, head);
  return format.open(input, context(options));
}

function unrecognized(registry: Registry, input: BackupInput, head: Uint8Array | undefined): Error {
  const known = [...new Set(registry.list('format').map((d) => d.name))].join(', ');
  if (input.kind === 'directory') return new UnsupportedError(`the folder '${input.dir.name}' holds no backup this page reads (formats: ${known})`);
  if (head?.length === 0) return new CorruptBackupError(`'${input.source.name}' is empty`);
  return new CorruptBackupError(`'${input.source.name}' is not a backup this page reads: no format (${known}) recognizes its first bytes`);
}

function context(options: OpenInPageOptions): FormatContext {
  const pass = options.passphrase;
  const key = options.keyFile;
  return {
    registry: options.registry,
    // The Borg plugin reads `--keyfile FILE` through `host.folder`: here the only file it can reach is the chosen one.
    settings: key ? { keyfile: key.name } : {},
    ...(key ? { host: { env: {}, folder: () => folderSource([key]) } } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.resources ? { resources: options.resources } : {}),
    async passphrase() {
      if (pass === '') throw new UsageError('this backup needs a passphrase: type it in the Passphrase field');
      return utf8.encode(pass);
    },
    // An empty field gives none: a Borg key under an empty passphrase then opens, as borg opens it unasked.
    async givenPassphrase() {
      return pass === '' ? undefined : utf8.encode(pass);
    },
  };
}
