import type { BackupInfo } from '@qubes-backup/core';

/** A qube as the backup's qubes.xml describes it, in one model for every format. */
export interface VmInfo {
  readonly name: string;
  /** R4 class names: `AppVM`, `TemplateVM`, `StandaloneVM`, `AdminVM`, `DispVM`, ... (core2 classes mapped as Qubes does). */
  readonly class: string;
  /** The raw class name in qubes.xml (core2 `QubesProxyVm`, core3 `AppVM`). */
  readonly sourceClass?: string;
  readonly qid?: number;
  readonly label?: string;
  /** Template name; undefined when not set. */
  readonly template?: string;
  /** Its network qube, always explicit (JSON readers need not know that a missing key meant "default"). */
  readonly netvm: NetVm;
  readonly included: boolean;
  /** Where its files live in the backup (`vm5/`, `appvms/work`, `dom0-home/user`), when included. */
  readonly backupPath?: string;
  /** Bytes the backup holds for it, as qubes.xml says. */
  readonly backupSize?: number;
  readonly properties: Readonly<Record<string, string | null>>;
  readonly features: Readonly<Record<string, string | boolean>>;
  readonly tags: readonly string[];
  readonly devices: readonly DeviceInfo[];
  /** R4 `volume-config`: the VM's volumes; those with `saveOnStop` are what a format-4 backup stores as `<name>.img`. */
  readonly volumes?: readonly VolumeInfo[];
}

/** `{ default: true }`: whatever the system's default netvm is; `null`: no network; otherwise a qube's name. */
export type NetVm = string | null | { readonly default: true };

/** The netvm as `info` shows it: a name, `(default)` or `(none)`. */
export function netvmText(netvm: NetVm): string {
  return netvm === null ? '(none)' : typeof netvm === 'string' ? netvm : '(default)';
}

export interface VolumeInfo {
  readonly name: string;
  /** Apparent size in bytes, when qubes.xml says. */
  readonly size?: number;
  readonly saveOnStop: boolean;
}

export interface DeviceInfo {
  readonly devclass: string;
  readonly backend: string;
  readonly id: string;
  readonly required?: boolean;
  readonly mode?: string;
  /** R4.2+ device identity string, when qubes.xml records one. */
  readonly identity?: string;
  readonly options: Readonly<Record<string, string>>;
}

/** dom0's home directory archive. */
export interface Dom0HomeInfo {
  readonly user: string;
  readonly backupPath: string;
  readonly backupSize?: number;
}

/** A Qubes backup's `info`: the verified header and the VMs (each VM and dom0's home is a unit). */
export interface QubesBackupModel extends BackupInfo {
  readonly version: number;
  /** The parsed header, keys as in the file. */
  readonly header: Readonly<Record<string, string>>;
  readonly compressed: boolean;
  readonly compressionFilter?: string;
  readonly vms: readonly VmInfo[];
  readonly dom0Home?: Dom0HomeInfo;
  /** Global properties (default netvm, template...). */
  readonly globals: Readonly<Record<string, string | null>>;
  /** Present when the members were surveyed (`info` on a local file); `problem`: why the survey stopped early (a cut). */
  readonly survey?: { readonly problem?: string };
}
