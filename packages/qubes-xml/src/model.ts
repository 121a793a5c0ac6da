import type { DeviceInfo, Dom0HomeInfo, VmInfo } from '@qubes-backup/qubes-common';

/** A device assignment; R4.2+ also records the device's `identity`. */
export interface QubesDeviceInfo extends DeviceInfo {
  /** R4.2+ `identity` attribute (what the device must be, not just where it sits). */
  readonly identity?: string;
}

/** qubes.xml, parsed. */
export interface QubesXml {
  /** `core2`: R2/R3 `<QubesVmCollection>` (formats 1–3); `core3`: R4 `<qubes>` (format 4). */
  readonly dialect: 'core2' | 'core3';
  /** Every domain in document order, included or not; dom0 is class `AdminVM`, name `dom0`. */
  readonly vms: readonly VmInfo[];
  /** dom0's home archive, when the backup holds it. */
  readonly dom0Home?: Dom0HomeInfo;
  /** Global properties (`default_netvm`, `default_template`, ...), VM references as names. */
  readonly globals: Readonly<Record<string, string | null>>;
}
