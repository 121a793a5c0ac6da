import { UnsupportedError } from '@qubes-backup/core';
import { attr, MEMBER, parseXmlTree, type XmlElement } from './_xml-tree.js';
import { hasOwn, setOwn } from './_record.js';
import { corrupt, finish, newDraft, parseCount, type VmDraft } from './_vm.js';
import type { QubesDeviceInfo, QubesXml } from './model.js';
import { parsePythonBoolDict, parsePythonStrList } from './python-literal.js';

/** The VM element tags the reference reads; any other (`QubesDisposableVm`, ...) is skipped. */
const VM_TAGS: ReadonlySet<string> = new Set([
  'QubesAdminVm', 'QubesTemplateVm', 'QubesTemplateHVm', 'QubesAppVm', 'QubesHVm', 'QubesNetVm', 'QubesProxyVm',
]);

/** Attributes kept as properties only when set and different from R3's default. */
const SIMPLE_DEFAULTS: ReadonlyArray<readonly [string, string | null]> = [
  ['include_in_backups', 'True'],
  ['qrexec_timeout', '60'],
  ['vcpus', '2'],
  ['memory', '400'],
  ['maxmem', '4000'],
  ['default_user', 'user'],
  ['debug', 'False'],
  ['mac', null],
  ['autostart', 'False'],
];

/** R3 service names that became differently named R4 features. */
const SERVICE_TO_FEATURE: Readonly<Record<string, string>> = {
  ntpd: 'service.ntpd',
  'qubes-update-check': 'check-updates',
  'meminfo-writer': 'service.meminfo-writer',
};

type QidMap = Map<number, string>;

/** A netvm reference the reference implementation fails to resolve (it logs and moves on). */
const SKIP = Symbol('skip');

function vmLabel(el: XmlElement): string {
  return JSON.stringify(attr(el, 'name') ?? `qid ${attr(el, 'qid') ?? '?'}`);
}

function qidOf(value: string, el: XmlElement, what: string): number {
  if (!/^[0-9]{1,10}$/.test(value)) throw corrupt(`VM ${vmLabel(el)}: ${what} ${JSON.stringify(value)} is not a qid`);
  return Number(value);
}

function lookup(qids: QidMap, value: string, el: XmlElement, what: string): string {
  const name = qids.get(qidOf(value, el, what));
  if (name === undefined) throw corrupt(`VM ${vmLabel(el)}: ${what} ${value} names no VM`);
  return name;
}

function buildQidMap(elements: readonly XmlElement[]): QidMap {
  const qids: QidMap = new Map();
  for (const el of elements) {
    const qid = attr(el, 'qid');
    const name = attr(el, 'name');
    if (qid === undefined || qid === '' || name === undefined || name === '') continue;
    const n = qidOf(qid, el, 'qid');
    if (qids.has(n)) throw corrupt(`two VMs have qid ${n}`);
    qids.set(n, name);
  }
  return qids;
}

function readServices(el: XmlElement, d: VmDraft): void {
  const services = attr(el, 'services');
  if (services === undefined || services === '') return;
  const entries = parsePythonBoolDict(services);
  if (entries === null) throw corrupt(`VM ${vmLabel(el)}: services is not a dict of str to bool`);
  for (const [service, value] of entries) {
    const feature = hasOwn(SERVICE_TO_FEATURE, service) ? (SERVICE_TO_FEATURE[service] as string) : service;
    setOwn(d.features, feature, value);
  }
}

function readPciDevices(el: XmlElement, d: VmDraft): void {
  const pcidevs = attr(el, 'pcidevs');
  if (pcidevs === undefined || pcidevs === '') return;
  const list = parsePythonStrList(pcidevs);
  if (list === null) throw corrupt(`VM ${vmLabel(el)}: pcidevs is not a list of str`);
  // The reference means to carry pci_strictreset=False over as no-strict-reset, but compares a
  // string to a boolean, so it never does; we do what it means.
  const noStrictReset = attr(el, 'pci_strictreset') === 'False';
  for (const bdf of list) {
    const id = bdf.replaceAll(':', '_');
    const options: Record<string, string> = noStrictReset ? { 'no-strict-reset': 'True' } : {};
    const device: QubesDeviceInfo = { devclass: 'pci', backend: 'dom0', id, required: true, mode: 'required', options };
    const same = d.devices.findIndex((x) => x.id === id);
    if (same >= 0) d.devices[same] = device;
    else d.devices.push(device);
  }
}

/** `import_core2_vm`: everything that does not depend on other VMs, except the template. */
function importVm(el: XmlElement, qids: QidMap): VmDraft {
  const tag = el.tag;
  const name = attr(el, 'name');
  if (name === undefined) throw corrupt(`<${tag}> has no name attribute`);
  let klass: string;
  let template: string | undefined;
  if (tag === 'QubesTemplateVm' || tag === 'QubesTemplateHVm') {
    klass = 'TemplateVM';
  } else if (attr(el, 'qid') === '0') {
    klass = 'AdminVM';
  } else {
    const templateQid = attr(el, 'template_qid');
    if (templateQid === undefined) throw corrupt(`VM ${vmLabel(el)} has no template_qid`);
    if (templateQid.toLowerCase() === 'none') {
      klass = 'StandaloneVM';
    } else {
      klass = 'AppVM';
      template = lookup(qids, templateQid, el, 'template_qid');
    }
  }
  const d = newDraft(name, klass);
  d.sourceClass = tag;
  d.label = attr(el, 'label') ?? 'red';
  const qid = attr(el, 'qid');
  if (qid !== undefined && qid !== '') d.qid = qidOf(qid, el, 'qid');
  if (template !== undefined) d.template = template;
  d.included = attr(el, 'backup_content') === 'True';
  const backupPath = attr(el, 'backup_path');
  if (backupPath !== undefined) d.backupPath = backupPath;
  const backupSize = attr(el, 'backup_size');
  if (d.included && backupSize !== undefined) d.backupSize = parseCount(backupSize, 'backup_size', name);

  // The reference sets nothing else on dom0.
  if (klass === 'AdminVM') return d;

  for (const [key, dflt] of SIMPLE_DEFAULTS) {
    const value = attr(el, key);
    if (value !== undefined && value !== '' && value !== dflt) setOwn(d.properties, key, value);
  }
  for (const key of ['kernel', 'kernelopts']) {
    let value: string | null | undefined = attr(el, key);
    if (value !== undefined && value !== '' && value.toLowerCase() === 'none') value = null;
    const usesDefault = attr(el, `uses_default_${key}`);
    if (usesDefault !== undefined && usesDefault !== '' && usesDefault.toLowerCase() !== 'true') {
      setOwn(d.properties, key, value ?? null);
    }
  }
  if (tag.includes('HVm')) {
    d.properties['virt_mode'] = 'hvm';
    d.properties['kernel'] = '';
    // R3 HVMs ran a MiniOS stubdomain; a Linux one can upset some guests (Windows).
    d.features['linux-stubdom'] = false;
  }
  if (tag === 'QubesNetVm' || tag === 'QubesProxyVm') d.properties['provides_network'] = 'True';
  if (tag === 'QubesNetVm') d.properties['netvm'] = null;
  if (tag === 'QubesTemplateVm' || (tag === 'QubesAppVm' && template === undefined)) {
    // R3 PV qubes were assumed to run the gui and qrexec agents.
    d.features['qrexec'] = true;
    d.features['gui'] = true;
  }
  if (attr(el, 'internal') === 'True') d.features['internal'] = true;
  readServices(el, d);
  readPciDevices(el, d);
  return d;
}

/** A global that holds a qid: the VM's name, or null for `None`. */
function globalRef(root: XmlElement, key: string, qids: QidMap): string | null | undefined {
  const value = attr(root, key);
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'none') return null;
  const name = qids.get(qidOf(value, root, key));
  if (name === undefined) throw corrupt(`global ${key} ${value} names no VM`);
  return name;
}

function readGlobals(root: XmlElement, qids: QidMap): Record<string, string | null> {
  const globals: Record<string, string | null> = {};
  const kernel = attr(root, 'default_kernel');
  if (kernel !== undefined) globals['default_kernel'] = kernel;
  for (const key of ['default_netvm', 'updatevm', 'clockvm', 'default_template']) {
    const value = globalRef(root, key, qids);
    if (value !== undefined) globals[key] = value;
  }
  return globals;
}

/**
 * `set_netvm_dependency`: the netvm, and R3's per-VM DispVM netvm turned into an R4
 * `default_dispvm` named `disp-<netvm>` (or `disp-no-netvm`), synthesized when missing.
 * Like the reference, a reference to an unknown qid leaves the rest of this VM's links unset.
 */
function linkNetvm(el: XmlElement, d: VmDraft, globals: Record<string, string | null>, qids: QidMap, byName: Map<string, VmDraft>, drafts: VmDraft[]): void {
  const resolve = (value: string | undefined): string | null | typeof SKIP => {
    if (value === undefined || value === 'none') return null;
    if (!/^[0-9]{1,10}$/.test(value)) return SKIP;
    return qids.get(Number(value)) ?? SKIP;
  };
  if (attr(el, 'uses_default_netvm') !== undefined && attr(el, 'uses_default_netvm') !== 'True') {
    const netvm = resolve(attr(el, 'netvm_qid'));
    if (netvm === SKIP) return;
    d.properties['netvm'] = netvm;
  }
  let dispvmNetvm: string | null;
  if (attr(el, 'uses_default_dispvm_netvm') !== undefined && attr(el, 'uses_default_dispvm_netvm') !== 'True') {
    const resolved = resolve(attr(el, 'dispvm_netvm_qid'));
    if (resolved === SKIP) return;
    dispvmNetvm = resolved;
  } else {
    dispvmNetvm = hasOwn(d.properties, 'netvm') ? (d.properties['netvm'] ?? null) : (globals['default_netvm'] ?? null);
  }
  if (!hasOwn(globals, 'default_netvm')) return;
  if (dispvmNetvm === globals['default_netvm']) return;
  const dispName = dispvmNetvm !== null ? `disp-${dispvmNetvm}` : 'disp-no-netvm';
  d.properties['default_dispvm'] = dispName;
  if (byName.has(dispName)) return;
  const disp = newDraft(dispName, 'AppVM');
  disp.synthesized = true;
  disp.label = 'red';
  disp.properties['netvm'] = dispvmNetvm;
  disp.properties['template_for_dispvms'] = 'True';
  // Included, but with no files of its own: the restore creates it.
  disp.included = true;
  byName.set(dispName, disp);
  drafts.push(disp);
}

/** Maps an already parsed `<QubesVmCollection>` tree. */
export function core2FromTree(root: XmlElement): QubesXml {
  if (root.tag !== 'QubesVmCollection') {
    throw new UnsupportedError(`root element <${root.tag}> is not R2/R3 <QubesVmCollection>`, { member: MEMBER });
  }
  const elements = root.children.filter((c) => VM_TAGS.has(c.tag));
  const qids = buildQidMap(elements);
  const drafts: VmDraft[] = [];
  // R2 (and R1) had no dom0 element.
  if (!qids.has(0)) {
    const dom0 = newDraft('dom0', 'AdminVM');
    dom0.synthesized = true;
    dom0.label = 'black';
    dom0.qid = 0;
    drafts.push(dom0);
    qids.set(0, 'dom0');
  }
  const imported = elements.map((el) => importVm(el, qids));
  drafts.push(...imported);
  const globals = readGlobals(root, qids);
  const byName = new Map<string, VmDraft>();
  for (const d of drafts) if (!byName.has(d.name)) byName.set(d.name, d);
  elements.forEach((el, i) => linkNetvm(el, imported[i] as VmDraft, globals, qids, byName, drafts));
  return finish('core2', drafts, globals);
}

/** Parses an R2/R3 ("core2", backup formats 1–3) qubes.xml. */
export function parseCore2(xml: Uint8Array | string): QubesXml {
  return core2FromTree(parseXmlTree(xml));
}
