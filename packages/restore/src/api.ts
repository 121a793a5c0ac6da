import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@qubes-backup/core';
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
  /** Do not refuse data far beyond qubes.xml's backup-size. */
  ignoreSizeLimit?: boolean;
}

export interface ExtractOptions extends BackupOptions, Selection {
  dest: string;
  /** Skip VMs whose members fail and restore the others (their `.partial` files stay for salvage). */
  keepGoing?: boolean;
  /** Replace existing output files. */
  force?: boolean;
  onEvent?: (e: RestoreEvent) => void;
}

export interface VerifyOptions extends BackupOptions, Selection {
  /** Check every VM even when one fails. */
  keepGoing?: boolean;
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

export interface RestoreImageOptions extends BackupOptions {
  vm: string;
  /** Which volume: `private` (default) or `root`. */
  volume?: 'private' | 'root';
  /** Folder to write `<vm>/<volume>.img` into (sparse). */
  workDir: string;
  onEvent?: (e: RestoreEvent) => void;
}

/**
 * Restores one VM volume image (sparse) and nothing else, e.g. to browse its files. Returns the
 * image's path. Throws UsageError when the VM has no such volume in the backup.
 */
export async function restoreImage(input: string | ByteSource, o: RestoreImageOptions): Promise<string> {
  const opened = await open(input, o);
  const registry = o.registry ?? defaultRegistry();
  const volume = o.volume ?? 'private';
  const vm = opened.model.vms.find((v) => v.name === o.vm);
  const base = vm?.backupPath?.replace(/\/+$/, '');
  if (!vm || !base || !vm.included || vm.klass === 'AdminVM') {
    throw new UsageError(`no VM named '${o.vm}' with data in this backup (VMs: ${opened.model.vms.filter((v) => v.included && v.klass !== 'AdminVM').map((v) => v.name).join(', ')})`);
  }
  // Format 4 stores each image as its own file; older formats store it inside the VM or template folder.
  const wantedName = `${volume}.img`;
  let found = false;
  const sink = directorySink(o.workDir);
  const filtered: typeof sink = {
    async member(m, target, opts) {
      const last = m.path.replace(/\/+$/, '').split('/').pop();
      if (m.type !== 'file' || last !== wantedName) {
        for await (const _ of m.extents(opts)) { /* not the image: read through, write nothing */ }
        return { member: m.path, type: m.type, size: m.size, skipped: 'not the requested image' };
      }
      found = true;
      return sink.member(m, target, opts);
    },
    finish: () => sink.finish(),
  };
  await fsp.mkdir(o.workDir, { recursive: true });
  await runArchives(opened, filtered, {
    ...o, registry, vms: [o.vm],
    // v4 and v3 AppVMs store the image as its own file; v3 templates as part of the whole folder (`vm9/.`).
    archives: (a) => a.path === `${base}/${wantedName}` || a.path === `${base}/.` || a.path === base,
  });
  if (!found) throw new UsageError(`VM '${o.vm}' has no ${wantedName} in this backup`);
  return join(o.workDir, o.vm, wantedName);
}
