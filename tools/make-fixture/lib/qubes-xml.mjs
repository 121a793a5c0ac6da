// The R4 ("core3") qubes.xml a backup carries, serialised the way lxml's pretty_print writes
// Qubes' own file, and the other small text files of a qube (firewall.xml, appmenus lists).

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** el('name', {attr}, [children] | 'text' | undefined) */
export function el(name, attrs = {}, body) {
  return { name, attrs, body };
}

function render(node, depth) {
  const pad = '  '.repeat(depth);
  const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  if (node.body === undefined || (Array.isArray(node.body) && node.body.length === 0)) return `${pad}<${node.name}${attrs}/>\n`;
  if (!Array.isArray(node.body)) return `${pad}<${node.name}${attrs}>${esc(node.body)}</${node.name}>\n`;
  return `${pad}<${node.name}${attrs}>\n${node.body.map((c) => render(c, depth + 1)).join('')}${pad}</${node.name}>\n`;
}

export function xmlDocument(root) {
  return `<?xml version='1.0' encoding='utf-8'?>\n${render(root, 0)}`;
}

export const LABELS = [
  ['red', '0xcc0000'], ['orange', '0xf57900'], ['yellow', '0xedd400'], ['green', '0x73d216'],
  ['gray', '0x555753'], ['blue', '0x3465a4'], ['purple', '0x75507b'], ['black', '0x000000'],
];
export const labelId = (name) => {
  const i = LABELS.findIndex(([n]) => n === name);
  if (i < 0) throw new Error(`unknown label ${name}`);
  return `label-${i + 1}`;
};

/** Pools as a default R4.1 install has them; `file` cases keep their volumes in varlibqubes. */
const POOLS = [
  el('pool', { dir_path: '/var/lib/qubes/vm-kernels', driver: 'linux-kernel', name: 'linux-kernel' }),
  el('pool', { dir_path: '/var/lib/qubes', driver: 'file', name: 'varlibqubes', revisions_to_keep: '1' }),
  el('pool', { driver: 'lvm_thin', name: 'vm-pool', revisions_to_keep: '2', thin_pool: 'vm-pool', volume_group: 'qubes_dom0' }),
];

function volumeConfig(vm, pool, kernel) {
  const vid = (vol) => (pool === 'vm-pool' ? `qubes_dom0/vm-${vm.name}-${vol}` : `${vm.klass === 'TemplateVM' ? 'vm-templates' : 'appvms'}/${vm.name}/${vol}`);
  const tplVid = (tpl) => (pool === 'vm-pool' ? `qubes_dom0/vm-${tpl}-root` : `vm-templates/${tpl}/root`);
  const ownRoot = vm.klass === 'TemplateVM' || vm.klass === 'StandaloneVM';
  const root = ownRoot
    ? { name: 'root', pool, revisions_to_keep: '1', rw: 'True', save_on_stop: 'True', size: String(vm.rootSize ?? 10737418240), vid: vid('root') }
    : { name: 'root', pool, revisions_to_keep: '0', size: '10737418240', snap_on_start: 'True', source: tplVid(vm.template), vid: vid('root') };
  return el('volume-config', {}, [
    el('volume', { name: 'kernel', pool: 'linux-kernel', revisions_to_keep: '0', vid: vm.klass === 'StandaloneVM' ? '' : kernel }),
    el('volume', root),
    el('volume', { name: 'private', pool, revisions_to_keep: '2', rw: 'True', save_on_stop: 'True', size: String(vm.privateSize ?? 2147483648), vid: vid('private') }),
    el('volume', { name: 'volatile', pool, revisions_to_keep: '0', rw: 'True', size: '10737418240', vid: vid('volatile') }),
  ]);
}

/**
 * vms: [{ name, klass, qid, uuid, label, template?, netvm? (undefined = default, null = none),
 *   props?: {}, features?: {}, tags?: [], pci?: [id], included, backupPath?, backupSize? }]
 * Qubes resets backup-content on every qube of its copy of qubes.xml and sets the three backup-*
 * features on the included ones (a feature set to False is stored as empty text).
 */
export function qubesXml({ vms, globals, pool, kernel }) {
  const domains = [...vms].sort((a, b) => a.qid - b.qid).map((vm) => {
    const props = { ...(vm.props ?? {}) };
    if (vm.klass !== 'AdminVM') {
      Object.assign(props, { name: vm.name, qid: String(vm.qid), uuid: vm.uuid });
      if (vm.template) props.template = vm.template;
      if (vm.netvm !== undefined) props.netvm = vm.netvm ?? '';
    }
    props.label = labelId(vm.label);
    const properties = Object.keys(props).sort().map((k) => el('property', { name: k }, props[k]));
    const features = Object.entries(vm.features ?? {}).map(([k, v]) => el('feature', { name: k }, v));
    features.push(el('feature', { name: 'backup-content' }, vm.included ? '1' : ''));
    if (vm.included) {
      features.push(el('feature', { name: 'backup-path' }, vm.backupPath));
      features.push(el('feature', { name: 'backup-size' }, String(vm.backupSize)));
    }
    const pci = (vm.pci ?? []).map((id) => el('device', { 'backend-domain': 'dom0', id, required: 'yes' }, [el('option', { name: 'no-strict-reset' }, 'True')]));
    const children = [
      el('properties', {}, properties),
      el('features', {}, features),
      el('devices', { class: 'pci' }, pci),
      el('devices', { class: 'block' }),
      el('devices', { class: 'usb' }),
      el('tags', {}, (vm.tags ?? []).map((t) => el('tag', { name: t }))),
    ];
    if (vm.klass !== 'AdminVM') children.push(volumeConfig(vm, pool, kernel));
    return el('domain', { id: `domain-${vm.qid}`, class: vm.klass }, children);
  });
  return xmlDocument(
    el('qubes', {}, [
      el('labels', {}, LABELS.map(([n, c], i) => el('label', { color: c, id: `label-${i + 1}` }, n))),
      el('pools', {}, POOLS),
      el('properties', {}, Object.keys(globals).sort().map((k) => el('property', { name: k }, globals[k]))),
      el('domains', {}, domains),
    ]),
  );
}

/** R4 firewall.xml (`<firewall version="2">`): rules as [{ action, proto?, dsthost?, dstports?, specialtarget? }]. */
export function firewallXml(rules) {
  return xmlDocument(
    el('firewall', { version: '2' }, [
      el('rules', {}, rules.map((r) => el('rule', {}, [el('properties', {}, Object.entries(r).map(([k, v]) => el('property', { name: k }, v)))]))),
    ]),
  );
}

export const DEFAULT_FIREWALL = [
  { action: 'accept', specialtarget: 'dns' },
  { action: 'accept', proto: 'icmp' },
  { action: 'accept', dsthost: 'www.qubes-os.org', proto: 'tcp', dstports: '443' },
  { action: 'accept', dsthost: '192.168.0.0/24' },
  { action: 'drop' },
];

export const appmenus = (names) => names.map((n) => `${n}.desktop\n`).join('');
