import { promises as fsp } from 'node:fs';
import type { BackupModel, ByteSource, ReadOptions, Registry } from '@qubes-backup/core';
import { openBackup, type Opened } from './open.js';
import { defaultRegistry } from './default-registry.js';
import { runArchives, selectedVms, writeVmJson, type RestoreEvent, type RunReport, type Selection } from './run.js';
import { directorySink, nullSink } from './sink.js';

export interface BackupOptions extends ReadOptions {
  passphrase: string | Uint8Array;
  /** Defaults to `defaultRegistry()`: every shipped format and codec, node backends preferred. */
  registry?: Registry;
  forceCompressionFilter?: string;
  /** Accept header-less format 2 backups (their header cannot be authenticated). */
  legacy?: boolean;
}

export interface ExtractOptions extends BackupOptions, Selection {
  dest: string;
  /** Replace existing output files. */
  force?: boolean;
  onEvent?: (e: RestoreEvent) => void;
}

export interface VerifyOptions extends BackupOptions, Selection {
  onEvent?: (e: RestoreEvent) => void;
}

/** Opens a backup (a path, `-` for standard input, or a ByteSource) and returns its verified metadata. */
export async function inspect(input: string | ByteSource, o: BackupOptions): Promise<BackupModel> {
  return (await open(input, o)).model;
}

/** Authenticates, decrypts, decompresses and parses every selected member; writes nothing. */
export async function verify(input: string | ByteSource, o: VerifyOptions): Promise<RunReport & { model: BackupModel }> {
  const opened = await open(input, o);
  const report = await runArchives(opened, nullSink(), { ...o, registry: o.registry ?? defaultRegistry() });
  return { ...report, model: opened.model };
}

/**
 * Restores the selected VMs under `dest`: `<dest>/<vm>/private.img`, `root.img`, `firewall.xml`, …
 * plus `<dest>/<vm>/vm.json`, and dom0's home under `<dest>/dom0-home/<user>/`.
 */
export async function extract(input: string | ByteSource, o: ExtractOptions): Promise<RunReport & { model: BackupModel }> {
  const opened = await open(input, o);
  const registry = o.registry ?? defaultRegistry();
  await fsp.mkdir(o.dest, { recursive: true });
  const chosen = selectedVms(opened.model, o);
  for (const vm of opened.model.vms) {
    if (chosen.has(vm.name) && vm.klass !== 'AdminVM') await writeVmJson(o.dest, vm, o.force);
  }
  const report = await runArchives(opened, directorySink(o.dest, { force: o.force ?? false }), { ...o, registry });
  return { ...report, model: opened.model };
}

function open(input: string | ByteSource, o: BackupOptions): Promise<Opened> {
  return openBackup(input, { ...o, registry: o.registry ?? defaultRegistry() });
}
