/**
 * @qubes-backup/restore: the library. Open a Qubes backup from a path or a stream with a passphrase,
 * read its header and VMs, verify it, and extract VMs to a folder with progress events.
 *
 * It reaches formats, ciphers, MACs and codecs only through a `Registry`; `defaultRegistry()` is the
 * one place that lists every shipped plugin.
 */
export { inspect, verify, extract, restoreImage, type BackupOptions, type ExtractOptions, type VerifyOptions, type RestoreImageOptions } from './api.js';
export { defaultRegistry } from './default-registry.js';
export { openBackup, authenticateHeader, type OpenOptions, type Opened } from './open.js';
export { fileSource, pipeSource } from './source.js';
export { runArchives, selectedVms, writeVmJson, type RestoreEvent, type RunReport, type VmReport, type Selection, type RunOptions } from './run.js';
export { directorySink, nullSink, type Sink, type MemberResult, type ArchiveTarget } from './sink.js';
