import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptBackupError, IoError, UnsupportedError,
  type Archive, type BackupInput, type FormatContext, type FormatPlugin, type OpenedBackup, type PluginDescriptor,
  type PluginInfo, type ReadOptions,
} from '@qubes-backup/core';
import {
  MAX_FILE_SIZE, imageLocation, qubesDisplay, qubesModel, type Dom0HomeInfo, type VmInfo,
} from '@qubes-backup/qubes-common';
import { MAX_XML_BYTES, parseQubesXml } from '@qubes-backup/qubes-xml';
import { treeMembers, lstat } from './directory.js';
import { CATEGORIES, categoriesFor, isRealDir, safeName, subdirs, type Category } from './layout.js';

const info: PluginInfo<'format'> = { kind: 'format', name: 'v1', backend: 'node' };

/** Format 1 (Qubes R1 – R2 beta2): a plain directory, read file by file; nothing is authenticated. */
export const formatV1: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, detect: detectV1, open: openV1 }),
};

/** A folder on this machine with a `qubes.xml` file in it. */
async function detectV1(input: BackupInput): Promise<boolean> {
  if (input.kind !== 'directory' || input.dir.localPath === undefined) return false;
  try {
    return (await input.dir.list('')).some((e) => e.name === 'qubes.xml' && e.type === 'file');
  } catch {
    return false;
  }
}

const KLASS: Record<Category, string> = { appvms: 'AppVM', 'vm-templates': 'TemplateVM', servicevms: 'AppVM' };

async function openV1(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  const root = input.kind === 'directory' ? input.dir.localPath : undefined;
  if (root === undefined) throw new UnsupportedError('format 1 reads a backup folder on this machine');
  const xmlStat = await lstat(join(root, 'qubes.xml'), 'qubes.xml');
  if (!xmlStat.isFile()) throw new CorruptBackupError('qubes.xml is not a regular file', { member: 'qubes.xml' });
  if (xmlStat.size > MAX_XML_BYTES) throw new CorruptBackupError(`qubes.xml is larger than ${MAX_XML_BYTES >> 20} MiB`, { member: 'qubes.xml' });
  let xml: Uint8Array;
  try {
    xml = await fsp.readFile(join(root, 'qubes.xml'), { flag: 'r' });
  } catch (e) {
    throw new IoError(`cannot read '${join(root, 'qubes.xml')}': ${(e as Error).message}`, { member: 'qubes.xml', cause: e });
  }
  const parsed = parseQubesXml(xml);

  // A VM is in the backup when its directory is (A32's rule): R1 qubes.xml has no backup_* attributes.
  const vms: VmInfo[] = [];
  const claimed = new Set<string>();
  for (const vm of parsed.vms) {
    let backupPath: string | undefined;
    if (vm.class !== 'AdminVM' && safeName(vm.name)) {
      for (const c of categoriesFor(vm)) {
        if (await isRealDir(root, `${c}/${vm.name}`)) { backupPath = `${c}/${vm.name}`; break; }
      }
    }
    if (backupPath) claimed.add(backupPath);
    const { backupPath: _bp, backupSize: _bs, ...rest } = vm;
    vms.push(backupPath ? { ...rest, included: true, backupPath } : { ...rest, included: false });
  }
  // Directories qubes.xml does not list are still data the user backed up: restore them too.
  const names = new Set(vms.map((v) => v.name));
  for (const c of CATEGORIES) {
    for (const name of await subdirs(root, c)) {
      if (claimed.has(`${c}/${name}`) || names.has(name)) continue;
      names.add(name);
      vms.push({
        name, class: KLASS[c], netvm: { default: true }, included: true, backupPath: `${c}/${name}`,
        properties: {}, features: {}, tags: [], devices: [],
      });
    }
  }
  // The reference takes the first entry of dom0-home/ as the user.
  const user = (await subdirs(root, 'dom0-home'))[0];
  const dom0Home: Dom0HomeInfo | undefined = user !== undefined ? { user, backupPath: `dom0-home/${user}` } : undefined;

  const model = qubesModel('v1', { version: 1, header: {}, encrypted: false, compressed: false, authenticated: false },
    { vms, dom0Home, globals: parsed.globals });

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive> {
    const list: { vm: string; path: string; prefix: string }[] = vms
      .filter((v) => v.included && v.backupPath)
      .map((v) => ({ vm: v.name, path: v.backupPath!, prefix: `${v.backupPath!}/` }));
    if (dom0Home) list.push({ vm: 'dom0', path: dom0Home.backupPath, prefix: 'dom0-home/' });
    for (const a of list) {
      if (!select({ unit: a.vm, path: a.path })) continue;
      yield { unit: a.vm, path: a.path, prefix: a.prefix, members: (o) => treeMembers(root!, a.path, { ...(o ?? opts ?? ctx), maxFileSize: MAX_FILE_SIZE }) };
    }
  }
  return { info: model, display: qubesDisplay(model), archives, image: (unit, volume) => imageLocation(model, unit, volume) };
}
