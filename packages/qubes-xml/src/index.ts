/**
 * @qubes-backup/qubes-xml: a backup's qubes.xml in the shared VM model.
 *
 * - **core2**: the R2/R3 dialect, root `<QubesVmCollection>`, one element per VM whose tag is its
 *   class (`QubesAppVm`, ...), other VMs referenced by **qid**. Backup formats 1–3.
 * - **core3**: the R4 dialect, root `<qubes>`, `<domain class="AppVM">` elements with
 *   `properties`, `features`, `tags` and `devices`, other VMs referenced by name. Format 4.
 * - **backup path**: where a VM's archives sit in the backup (`vm5/`, `appvms/work`,
 *   `dom0-home/user`); only those forms are accepted.
 * - **included**: the VM's data is in this backup (`backup_content` / feature `backup-content`).
 *
 * Both dialects map as the Qubes restore does (qubesadmin `backup/core2.py`, `core3.py`).
 */
export { parseQubesXml } from './qubes-xml.js';
export { parseCore2 } from './core2.js';
export { parseCore3 } from './core3.js';
export { checkBackupPath, type BackupPathKind } from './backup-path.js';
export { parsePythonBoolDict, parsePythonStrList } from './python-literal.js';
export { MAX_XML_BYTES } from './_xml-tree.js';
export type { QubesXml, QubesDeviceInfo } from './model.js';
