import { UnsafePathError } from '@qubes-backup/core';
import { MEMBER } from './_xml-tree.js';

/**
 * The only backup paths qubes.xml may give (spec §2.3, §8.5.2): `vm<qid>` (v4, and v2/v3 with
 * hidden names), `appvms/<name>`, `vm-templates/<name>`, `servicevms/<name>` (v2/v3 with names
 * shown) and `dom0-home/<user>`, each with or without a trailing slash. A component starts with a
 * letter, digit or `_` (so never `.` or `..`) and holds only `[A-Za-z0-9_.-]`: no NUL, no
 * backslash, no second slash, nothing absolute.
 */
const COMPONENT = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}';
const VM_PATH = new RegExp(`^(?:vm[0-9]{1,10}|(?:appvms|vm-templates|servicevms)/${COMPONENT})/?$`);
const DOM0_HOME_PATH = new RegExp(`^dom0-home/(${COMPONENT})/?$`);

export type BackupPathKind = 'vm' | 'dom0-home';

/**
 * Checks a backup path read from qubes.xml. dom0 (the AdminVM) must use `dom0-home/<user>`, and
 * every other qube one of the VM forms. Returns the dom0 user name for `dom0-home` paths.
 * @throws UnsafePathError naming the VM for anything else.
 */
export function checkBackupPath(path: string, vmName: string, kind: BackupPathKind): string | undefined {
  if (kind === 'dom0-home') {
    const m = DOM0_HOME_PATH.exec(path);
    if (m !== null) return m[1];
  } else if (VM_PATH.test(path)) {
    return undefined;
  }
  const expected = kind === 'dom0-home' ? 'dom0-home/<user>' : 'vm<qid>, appvms/<name>, vm-templates/<name> or servicevms/<name>';
  throw new UnsafePathError(
    `VM ${JSON.stringify(vmName)}: backup path ${JSON.stringify(path)} is not one of ${expected}; refused`,
    { member: MEMBER },
  );
}

