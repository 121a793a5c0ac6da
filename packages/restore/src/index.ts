/**
 * @qubes-backup/restore: the library. Open a backup of any format the given registry holds (a
 * file, a pipe or a folder), with a passphrase; see what it holds; verify it; list its trees; and
 * extract its units (VMs, archives) to a folder with progress events.
 *
 * It reaches formats, ciphers, MACs and codecs only through the `Registry` it is given and knows
 * none by name: `@qubes-backup/all` has one with every shipped plugin.
 */
export {
  inspect, verify, extract, planRestore, list, restoreImage,
  type BackupOptions, type ExtractOptions, type VerifyOptions, type ListOptions, type ListedEntry, type Inspection, type RestoreImageOptions,
} from './api.js';
export { openBackup, identify, type OpenOptions, type Opened, type BackupLocation, type BackupOrLocation, type Passphrase } from './open.js';
export { fileSource, pipeSource, directorySource } from './source.js';
export { runArchives, selectedUnits, reportOf, type RestoreEvent, type RunReport, type UnitReport, type Selection, type RunOptions } from './run.js';
export { makeDirs } from './dirs.js';
export type { ExtractPlan, PlannedUnit } from './plan.js';
export { directorySink, nullSink, type Sink, type MemberResult, type ArchiveTarget } from './sink.js';
