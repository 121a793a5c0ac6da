import { UnsupportedError } from '@qubes-backup/core';
import { attr, childrenNamed, findAll, firstChild, MEMBER, parseXmlTree, type XmlElement } from './_xml-tree.js';
import { popOwn, setOwn } from './_record.js';
import { corrupt, finish, newDraft, parseCount, type VmDraft } from './_vm.js';
import type { QubesDeviceInfo, QubesXml } from './model.js';
import type { VolumeInfo } from '@qubes-backup/qubes-common';

/** Qubes' `qbool`: the words a boolean attribute may hold. */
function qbool(value: string, what: string): boolean {
  const v = value.toLowerCase();
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  throw corrupt(`${what}: ${JSON.stringify(value)} is not a boolean`);
}

function requiredAttr(el: XmlElement, name: string, where: string): string {
  const value = attr(el, name);
  if (value === undefined) throw corrupt(`${where}: <${el.tag}> has no ${name} attribute`);
  return value;
}

/** The `<label>` table: both the id (`label-1`) and the name (`red`) map to the name. */
function readLabels(root: XmlElement): Map<string, string | null> {
  const labels = firstChild(root, 'labels');
  if (labels === undefined) throw corrupt('<qubes> has no <labels>');
  const map = new Map<string, string | null>();
  for (const node of childrenNamed(labels, 'label')) {
    map.set(requiredAttr(node, 'id', '<labels>'), node.text);
    if (node.text !== null) map.set(node.text, node.text);
  }
  return map;
}

function readDevices(domain: XmlElement, where: string): QubesDeviceInfo[] {
  const devices: QubesDeviceInfo[] = [];
  for (const bus of childrenNamed(domain, 'devices')) {
    const devclass = requiredAttr(bus, 'class', where);
    for (const node of childrenNamed(bus, 'device')) {
      const backend = requiredAttr(node, 'backend-domain', where);
      const id = requiredAttr(node, 'id', where);
      const options: Record<string, string> = {};
      for (const opt of childrenNamed(node, 'option')) setOwn(options, requiredAttr(opt, 'name', where), opt.text ?? '');
      // R4.2+ writes `mode` (and `identity`); older releases wrote `required`, absent meaning yes.
      const rawMode = attr(node, 'mode');
      const required = rawMode !== undefined ? rawMode === 'required' : qbool(attr(node, 'required') ?? 'yes', `${where} device ${id}`);
      const mode = rawMode ?? (required ? 'required' : 'auto-attach');
      const identity = attr(node, 'identity');
      const device: QubesDeviceInfo = { devclass, backend, id, required, mode, options, ...(identity !== undefined && { identity }) };
      // One assignment per (class, backend, id), the last one winning as in the reference's dict.
      const same = devices.findIndex((d) => d.devclass === devclass && d.backend === backend && d.id === id);
      if (same >= 0) devices[same] = device;
      else devices.push(device);
    }
  }
  return devices;
}

function readDomain(domain: XmlElement, labels: Map<string, string | null>, index: number): VmDraft {
  const where = `<domain> #${index + 1}${attr(domain, 'id') !== undefined ? ` (${attr(domain, 'id')})` : ''}`;
  const klass = requiredAttr(domain, 'class', where);
  const properties: Record<string, string | null> = {};
  for (const node of findAll(domain, 'properties', 'property')) setOwn(properties, requiredAttr(node, 'name', where), node.text);
  const features: Record<string, string | boolean> = {};
  // Empty text is how Qubes stores a false feature.
  for (const node of findAll(domain, 'features', 'feature')) setOwn(features, requiredAttr(node, 'name', where), node.text ?? false);
  const tags: string[] = [];
  for (const node of findAll(domain, 'tags', 'tag')) {
    const tag = requiredAttr(node, 'name', where);
    if (!tags.includes(tag)) tags.push(tag);
  }
  const devices = readDevices(domain, where);
  const volumes: VolumeInfo[] = [];
  for (const node of findAll(domain, 'volume-config', 'volume')) {
    const vname = requiredAttr(node, 'name', where);
    const size = attr(node, 'size');
    const sos = attr(node, 'save_on_stop');
    volumes.push({
      name: vname,
      ...(size !== undefined && /^[0-9]{1,16}$/.test(size) ? { size: Number(size) } : {}),
      saveOnStop: sos !== undefined && qbool(sos, `${where}: volume ${vname} save_on_stop`),
    });
  }

  let name: string;
  if (klass === 'AdminVM') {
    name = 'dom0';
  } else {
    const popped = popOwn(properties, 'name', undefined);
    if (popped === undefined || popped === null) throw corrupt(`${where}: ${klass} has no name property`);
    name = popped;
  }
  const d = newDraft(name, klass);
  d.sourceClass = klass;
  d.properties = properties;
  d.features = features;
  d.tags = tags;
  d.devices = devices;
  if (volumes.length > 0) d.volumes = volumes;

  const labelKey = popOwn(properties, 'label', undefined);
  if (labelKey !== undefined && labelKey !== null) {
    // An unknown label is kept as written: the restore picks a fallback colour.
    const label = labels.get(labelKey) ?? labelKey;
    if (label !== null) d.label = label;
  }
  const template = popOwn(properties, 'template', undefined);
  if (template !== undefined && template !== null) d.template = template;
  popOwn(properties, 'uuid', undefined);
  const qid = popOwn(properties, 'qid', undefined);
  if (qid !== undefined && qid !== null) d.qid = parseCount(qid, 'qid', name);
  else if (klass === 'AdminVM') d.qid = 0;

  // Truthy as in Python: any non-empty text, whatever it says.
  const content = popOwn(features, 'backup-content', false);
  if (content !== false && content !== '') {
    d.included = true;
    const path = popOwn(features, 'backup-path', undefined);
    if (typeof path === 'string') d.backupPath = path;
    const size = popOwn(features, 'backup-size', undefined);
    if (typeof size === 'string') d.backupSize = parseCount(size, 'backup-size', name);
  }
  return d;
}

function readGlobals(root: XmlElement): Record<string, string | null> {
  const globals: Record<string, string | null> = {};
  for (const node of findAll(root, 'properties', 'property')) setOwn(globals, requiredAttr(node, 'name', '<qubes><properties>'), node.text);
  return globals;
}

/** Maps an already parsed `<qubes>` tree. */
export function core3FromTree(root: XmlElement): QubesXml {
  if (root.tag !== 'qubes') {
    throw new UnsupportedError(`root element <${root.tag}> is not R4 <qubes>`, { member: MEMBER });
  }
  const labels = readLabels(root);
  const drafts: VmDraft[] = [];
  for (const domain of findAll(root, 'domains', 'domain')) drafts.push(readDomain(domain, labels, drafts.length));
  return finish('core3', drafts, readGlobals(root));
}

/** Parses an R4 ("core3", backup format 4) qubes.xml. */
export function parseCore3(xml: Uint8Array | string): QubesXml {
  return core3FromTree(parseXmlTree(xml));
}

