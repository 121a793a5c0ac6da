import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { VmInfo } from '@qubes-backup/qubes-common';

/** The folders a format-1 backup keeps VMs in (spec §2.5), as under /var/lib/qubes. */
export const CATEGORIES = ['appvms', 'vm-templates', 'servicevms'] as const;
export type Category = (typeof CATEGORIES)[number];

/** A VM or user name that is safe as one path component. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

export function safeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** Where the reference kept a VM's directory: templates in vm-templates, NetVMs and ProxyVMs in servicevms. */
export function categoriesFor(vm: VmInfo): Category[] {
  const src = vm.sourceClass ?? '';
  const first: Category = vm.class === 'TemplateVM' || /Template/.test(src) ? 'vm-templates'
    : /NetVm|ProxyVm/.test(src) || vm.properties['provides_network'] === 'True' ? 'servicevms' : 'appvms';
  return [first, ...CATEGORIES.filter((c) => c !== first)];
}

/** True when `root/rel` is a real directory, with no symlink at any component of `rel`. */
export async function isRealDir(root: string, rel: string): Promise<boolean> {
  let cur = root;
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    const st = await fsp.lstat(cur).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return true;
}

/** The sorted names of the real subdirectories of `root/rel` (none when it is not a real directory). */
export async function subdirs(root: string, rel: string): Promise<string[]> {
  if (!(await isRealDir(root, rel))) return [];
  const out: string[] = [];
  for (const name of (await fsp.readdir(join(root, rel))).sort()) {
    if (safeName(name) && (await isRealDir(root, `${rel}/${name}`))) out.push(name);
  }
  return out;
}
