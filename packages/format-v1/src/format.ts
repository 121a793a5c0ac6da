import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptBackupError, IoError, UsageError,
  type BackupModel, type ByteStream, type Dom0HomeInfo, type FormatContext, type FormatPlugin, type InnerArchive,
  type InnerArchiveInfo, type OpenedBackup, type PluginDescriptor, type PluginInfo, type ReadOptions, type VmInfo,
} from '@qubes-backup/core';
import { MAX_XML_BYTES, parseQubesXml } from '@qubes-backup/qubes-xml';
import { treeMembers, lstat } from './directory.js';
import { CATEGORIES, categoriesFor, isRealDir, safeName, subdirs, type Category } from './layout.js';

const info: PluginInfo<'format'> = { kind: 'format', name: 'v1', backend: 'node' };

/** Format 1 (Qubes R1 – R2 beta2): a plain directory, read file by file; nothing is authenticated. */
export const formatV1: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, version: 1, open: openV1 }),
};

const KLASS: Record<Category, string> = { appvms: 'AppVM', 'vm-templates': 'TemplateVM', servicevms: 'AppVM' };

async function openV1(ctx: FormatContext): Promise<OpenedBackup> {
  const root = ctx.source?.name;
  if (root === undefined) throw new UsageError('format 1 needs the backup directory as its source');
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
    if (vm.klass !== 'AdminVM' && safeName(vm.name)) {
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
        name, klass: KLASS[c], included: true, backupPath: `${c}/${name}`,
        properties: {}, features: {}, tags: [], devices: [],
      });
    }
  }
  // The reference takes the first entry of dom0-home/ as the user.
  const user = (await subdirs(root, 'dom0-home'))[0];
  const dom0Home: Dom0HomeInfo | undefined = user !== undefined ? { user, backupPath: `dom0-home/${user}` } : undefined;

  const model: BackupModel = {
    version: 1,
    header: {},
    encrypted: false,
    compressed: false,
    authenticated: false,
    vms,
    ...(dom0Home ? { dom0Home } : {}),
    globals: parsed.globals,
  };

  async function* archives(select: (a: InnerArchiveInfo) => boolean, opts?: ReadOptions): AsyncIterable<InnerArchive> {
    const list: { vm: string; path: string; prefix: string }[] = vms
      .filter((v) => v.included && v.backupPath)
      .map((v) => ({ vm: v.name, path: v.backupPath!, prefix: `${v.backupPath!}/` }));
    if (dom0Home) list.push({ vm: 'dom0', path: dom0Home.backupPath, prefix: 'dom0-home/' });
    const tree = { ...(opts ?? ctx), ...(ctx.maxFileSize !== undefined ? { maxFileSize: ctx.maxFileSize } : {}) };
    for (const a of list) {
      if (!select({ vm: a.vm, path: a.path })) continue;
      yield { ...a, volumes: noVolumes, members: () => treeMembers(root!, a.path, tree) };
    }
  }
  return { model, archives };
}

async function* noVolumes(): AsyncIterable<ByteStream> { /* a directory has members, not tar volumes */ }
