/**
 * @qubes-backup/format-v1: Qubes backup format 1 (R1 – R2 beta2) as a registry plugin.
 *
 * A format-1 backup is a **directory**, not an archive: `qubes.xml`, then one folder per VM under
 * `appvms/`, `vm-templates/` or `servicevms/`, and dom0's home under `dom0-home/<user>/`, copied
 * with `cp -rp`. Each VM folder is one **archive** whose **members** are read straight from the
 * directory tree (holes found per 4 KiB block). Nothing is encrypted or authenticated.
 */
export { formatV1 } from './format.js';
export { treeMembers, dataExtents, BLOCK, type TreeOptions } from './directory.js';
