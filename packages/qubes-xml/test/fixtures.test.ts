import { describe, expect, test } from '@jest/globals';
import type { DeviceInfo, NetVm, VmInfo } from '@qubes-backup/qubes-common';
import { parseCore2, parseCore3, parseQubesXml } from '../src/index.js';
import { fixture, fixtureJson, sha256hex, vmNamed } from './_helpers.js';

/** One VM row of a fixture-generator manifest. */
interface ManifestVm {
  name: string; class: string; qid: number; label: string; template: string | null;
  netvm: string | null; included: boolean; backup_path?: string; provides_network?: boolean; in_qubes_xml?: boolean;
}
interface ManifestExpect { source: string; format_version: number; qubes_xml_sha256: string; vms: ManifestVm[] }

/** The upstream test's expectation for one domain (qubesadmin/tests/backup/backupcompatibility.py). */
interface UpstreamVm {
  klass: string; label: string; template: string | null; backup_path: string | null; included_in_backup: boolean;
  properties: Record<string, string | boolean | null>;
  features: Record<string, string | boolean>;
  tags: string[];
  devices: Record<string, Record<string, Record<string, string | boolean>>>;
}
interface Core2XmlVm {
  name: string; xml_class: string; qid: string; label: string; template: string | null;
  uses_default_netvm: string | null; netvm: string | null; backup_content: boolean; backup_path: string | null;
}
interface Core3XmlVm {
  name: string; class: string; qid: string | null; label: string; template: string | null; netvm: string | null;
  provides_network: string | null; backup_content: boolean; backup_path: string | null; backup_size: string | null;
}
interface SuiteExpect<V> {
  source: string; format_version: number; qubes_xml_sha256: string | null;
  qubes_xml: { globals: Record<string, string>; vms: V[] };
  expected_restore_vms: { domains: Record<string, UpstreamVm>; globals: Record<string, string> } | null;
}

const GENERATED = ['gen-v2-plain', 'gen-v2-hidden-names', 'gen-v3-plain', 'gen-v3-hidden-names', 'gen-v4', 'gen-v4-subset'];

describe('fixture files are the ones the backups hold', () => {
  test.each([...GENERATED, 'ts-v3-plain', 'ts-v3-encrypted', 'ts-v4'])('%s', (name) => {
    const want = fixtureJson<{ qubes_xml_sha256: string }>(`${name}.expected.json`).qubes_xml_sha256;
    expect(sha256hex(fixture(`${name}.xml`))).toBe(want);
  });
});

describe('fixture-generator backups: every VM of the manifest', () => {
  test.each(GENERATED)('%s', (name) => {
    const want = fixtureJson<ManifestExpect>(`${name}.expected.json`);
    const parsed = parseQubesXml(fixture(`${name}.xml`));
    expect(parsed.dialect).toBe(want.format_version === 4 ? 'core3' : 'core2');
    for (const m of want.vms) {
      const vm = vmNamed(parsed, m.name);
      expect({ name: vm.name, klass: vm.class, qid: vm.qid, label: vm.label, template: vm.template ?? null })
        .toEqual({ name: m.name, klass: m.class, qid: m.qid, label: m.label, template: m.template });
      if (m.name !== 'dom0') expect(asManifestNetvm(vm.netvm)).toBe(m.netvm);
      expect(vm.properties['provides_network']).toBe(m.provides_network === true ? 'True' : undefined);
      if (m.in_qubes_xml === false) {
        // R2 qubes.xml has no dom0: it is synthesized, not included; the home archive is found by name.
        expect({ included: vm.included, backupPath: vm.backupPath }).toEqual({ included: false, backupPath: undefined });
        expect(parsed.dom0Home).toBeUndefined();
      } else {
        expect({ included: vm.included, backupPath: vm.backupPath }).toEqual({ included: m.included, backupPath: m.backup_path });
      }
    }
    // Anything beyond the manifest is a DispVM template synthesized from R3's per-VM DispVM netvm.
    const known = new Set(want.vms.map((m) => m.name));
    for (const vm of parsed.vms.filter((v) => !known.has(v.name))) {
      expect(vm.name).toMatch(/^disp-/);
      expect(vm.properties['template_for_dispvms']).toBe('True');
    }
    const dom0 = want.vms.find((m) => m.name === 'dom0');
    if (dom0?.included === true && dom0.in_qubes_xml !== false) {
      expect(parsed.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 909 });
    }
  });

  test('the hidden-name and plain forms differ only in backup paths', () => {
    const strip = (vms: readonly VmInfo[]): unknown => vms.map(({ backupPath: _p, backupSize: _s, ...rest }) => rest);
    expect(strip(parseCore2(fixture('gen-v3-hidden-names.xml')).vms)).toEqual(strip(parseCore2(fixture('gen-v3-plain.xml')).vms));
    expect(vmNamed(parseCore2(fixture('gen-v3-hidden-names.xml')), 'work').backupPath).toBe('vm5');
  });

  test('R4 devices, tags and features of the generator qubes.xml', () => {
    const parsed = parseCore3(fixture('gen-v4.xml'));
    expect(vmNamed(parsed, 'sys-net').devices).toEqual([
      { devclass: 'pci', backend: 'dom0', id: '00_19.0', required: true, mode: 'required', options: { 'no-strict-reset': 'False' } },
    ]);
    expect(vmNamed(parsed, 'work').tags).toEqual(['created-by-dom0']);
    expect(vmNamed(parsed, 'fedora-38').features).toEqual({ qrexec: '1', gui: '1' });
    expect(vmNamed(parsed, 'standalone').properties).toEqual({ netvm: null, virt_mode: 'pvh' });
    expect(parsed.vms.map((v) => v.name)).toEqual(
      ['dom0', 'fedora-38', 'sys-net', 'sys-firewall', 'my-template', 'work', 'personal', 'standalone', 'untrusted']);
  });
});

/** Our properties in the upstream dict's terms: Python's True is the string "True" here. */
/** The fixture manifests' netvm: `"<default>"` for the default, a name, or null for none. */
function asManifestNetvm(netvm: NetVm): string | null {
  return netvm !== null && typeof netvm === 'object' ? '<default>' : netvm;
}

function upstreamProps(props: Record<string, string | boolean | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'True' : 'False') : v]));
}

function upstreamDevices(devices: readonly DeviceInfo[]): UpstreamVm['devices'] {
  const out: UpstreamVm['devices'] = {};
  for (const d of devices) {
    const bus = (out[d.devclass] ??= {});
    bus[`${d.backend}+${d.id}`] = { ...d.options, required: d.required === true };
  }
  return out;
}

/**
 * Where the upstream dict and the qubes.xml disagree. sys-usb is not restored by the upstream test,
 * so its (unchecked) entry there lists no devices, while the file assigns two PCI controllers.
 */
const UPSTREAM_GAPS: Record<string, Partial<UpstreamVm>> = {
  'ts-v4/sys-usb': {
    devices: { pci: {
      'dom0+00_14.0': { 'no-strict-reset': 'True', required: true },
      'dom0+00_1d.0': { 'no-strict-reset': 'True', required: true },
    } },
  },
};

function compareUpstream(name: string, parsedVms: readonly VmInfo[], domains: Record<string, UpstreamVm>, comparePaths: boolean): void {
  expect(parsedVms.map((v) => v.name).sort()).toEqual(Object.keys(domains).sort());
  for (const [vmName, upstream] of Object.entries(domains)) {
    const want = { ...upstream, ...UPSTREAM_GAPS[`${name}/${vmName}`] };
    const vm = parsedVms.find((v) => v.name === vmName) as VmInfo;
    const got = {
      vm: vmName,
      klass: vm.class,
      label: vm.label,
      template: vm.template ?? null,
      included: vm.included,
      properties: vm.properties,
      features: vm.features,
      tags: [...vm.tags].sort(),
      devices: upstreamDevices(vm.devices),
      ...(comparePaths && { backupPath: vm.backupPath ?? null }),
    };
    expect(got).toEqual({
      vm: vmName,
      klass: want.klass,
      label: want.label,
      template: want.template,
      included: want.included_in_backup,
      properties: upstreamProps(want.properties),
      features: want.features,
      tags: [...want.tags].sort(),
      devices: want.devices,
      ...(comparePaths && { backupPath: want.backup_path }),
    });
  }
}

describe('Qubes test-suite backups (core2): upstream expectations and the parsed qubes.xml', () => {
  test.each(['ts-v3-plain', 'ts-v3-encrypted'])('%s', (name) => {
    const want = fixtureJson<SuiteExpect<Core2XmlVm>>(`${name}.expected.json`);
    const parsed = parseQubesXml(fixture(`${name}.xml`));
    expect(parsed.dialect).toBe('core2');
    // The upstream dict was written for names shown; hidden-name backups keep vm<qid> paths.
    compareUpstream(name, parsed.vms, want.expected_restore_vms!.domains, name === 'ts-v3-plain');
    expect(parsed.globals).toEqual(want.expected_restore_vms!.globals);
    for (const x of want.qubes_xml.vms) {
      if (x.xml_class === 'QubesDisposableVm') {
        expect(parsed.vms.some((v) => v.name === x.name)).toBe(false);
        continue;
      }
      const vm = vmNamed(parsed, x.name);
      expect({ sourceClass: vm.sourceClass, qid: vm.qid, label: vm.label, included: vm.included, backupPath: vm.backupPath ?? null })
        .toEqual({ sourceClass: x.xml_class, qid: Number(x.qid), label: x.label, included: x.backup_content, backupPath: x.backup_path });
      if (x.uses_default_netvm === 'False') expect(vm.netvm).toBe(x.netvm);
    }
    expect(parsed.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 837570560 });
  });

  test('ts-v1 (R1 qubes.xml, &apos; entities, no backup attributes)', () => {
    const want = fixtureJson<SuiteExpect<Core2XmlVm>>('ts-v1.expected.json');
    const parsed = parseQubesXml(fixture('ts-v1.xml'));
    expect(parsed.dialect).toBe('core2');
    const qidName = new Map(want.qubes_xml.vms.map((v) => [v.qid, v.name]));
    expect(parsed.globals).toEqual({
      default_kernel: want.qubes_xml.globals['default_kernel'],
      ...Object.fromEntries(['default_netvm', 'updatevm', 'clockvm', 'default_template']
        .map((k) => [k, qidName.get(want.qubes_xml.globals[k] as string)])),
    });
    expect(parsed.vms[0]).toMatchObject({ name: 'dom0', class: 'AdminVM', label: 'black', included: false });
    for (const x of want.qubes_xml.vms) {
      const vm = vmNamed(parsed, x.name);
      expect({ sourceClass: vm.sourceClass, label: vm.label, template: vm.template ?? null, included: vm.included })
        .toEqual({ sourceClass: x.xml_class, label: x.label, template: x.template, included: false });
      if (x.uses_default_netvm === 'False') expect(vm.netvm).toBe(x.netvm);
    }
    expect(vmNamed(parsed, 'netvm').devices.map((d) => d.id)).toEqual(['00_19.0', '03_00.0']);
    expect(vmNamed(parsed, 'netvm').features).toEqual({ 'service.ntpd': false, 'service.meminfo-writer': false });
    expect(vmNamed(parsed, 'test-testvm').properties['mac']).toBe('00:16:3E:5E:6C:55');
    expect(parsed.dom0Home).toBeUndefined();
  });
});

describe('Qubes test-suite backup (core3): upstream expectations and the parsed qubes.xml', () => {
  test('ts-v4', () => {
    const want = fixtureJson<SuiteExpect<Core3XmlVm>>('ts-v4.expected.json');
    const parsed = parseQubesXml(fixture('ts-v4.xml'));
    expect(parsed.dialect).toBe('core3');
    compareUpstream('ts-v4', parsed.vms, want.expected_restore_vms!.domains, false);
    expect(parsed.globals).toEqual(want.expected_restore_vms!.globals);
    expect(parsed.globals).toEqual(want.qubes_xml.globals);
    expect(parsed.vms.map((v) => v.name)).toEqual(want.qubes_xml.vms.map((v) => v.name));
    for (const x of want.qubes_xml.vms) {
      const vm = vmNamed(parsed, x.name);
      expect({
        klass: vm.class, label: vm.label, template: vm.template ?? null,
        netvm: asManifestNetvm(vm.netvm),
        provides_network: vm.properties['provides_network'] ?? null,
        included: vm.included, backupPath: vm.backupPath ?? null,
        backupSize: vm.backupSize === undefined ? null : String(vm.backupSize),
      }).toEqual({
        klass: x.class, label: x.label, template: x.template,
        // qubes.xml gives dom0 no netvm property; the model says none rather than "default".
        netvm: x.class === 'AdminVM' ? null : x.netvm, provides_network: x.provides_network,
        included: x.backup_content, backupPath: x.backup_path, backupSize: x.backup_size,
      });
      if (x.qid !== null) expect(vm.qid).toBe(Number(x.qid));
    }
    expect(parsed.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 20971520 });
  });
});
