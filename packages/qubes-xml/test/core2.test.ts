import { describe, expect, test } from '@jest/globals';
import { parseCore2, parseQubesXml } from '../src/index.js';
import { core2, failure, vmNamed } from './_helpers.js';

describe('core2 classes and references', () => {
  test('template_qid resolves to a name; "none" makes a StandaloneVM; Template[H]Vm is a TemplateVM', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="work" qid="5" label="blue" template_qid="1" />
      <QubesAppVm name="alone" qid="6" template_qid="None" />
      <QubesTemplateHVm name="win" qid="7" label="black" template_qid="none" />`));
    expect(vmNamed(x, 'work')).toMatchObject({ class: 'AppVM', sourceClass: 'QubesAppVm', qid: 5, label: 'blue', template: 'tpl' });
    // A qube without a label is red, as in R3; a template-less PV AppVM ran the gui and qrexec agents.
    expect(vmNamed(x, 'alone')).toMatchObject({ class: 'StandaloneVM', label: 'red', features: { qrexec: true, gui: true } });
    expect(vmNamed(x, 'alone').template).toBeUndefined();
    expect(vmNamed(x, 'win')).toMatchObject({
      class: 'TemplateVM', sourceClass: 'QubesTemplateHVm',
      properties: { virt_mode: 'hvm', kernel: '' }, features: { 'linux-stubdom': false },
    });
    expect(vmNamed(x, 'tpl').features).toEqual({ qrexec: true, gui: true });
  });

  test('*HVm → virt_mode hvm, kernel "", linux-stubdom false; NetVm/ProxyVm provide network; NetVm has no netvm', () => {
    const x = parseCore2(core2('<QubesHVm name="h" qid="5" template_qid="none" uses_default_netvm="True" />'));
    expect(vmNamed(x, 'h')).toMatchObject({ class: 'StandaloneVM', properties: { virt_mode: 'hvm', kernel: '' }, features: { 'linux-stubdom': false } });
    expect(vmNamed(x, 'h').netvm).toEqual({ default: true });
    expect(vmNamed(x, 'net')).toMatchObject({ class: 'AppVM', template: 'tpl', netvm: null, properties: { provides_network: 'True', netvm: null } });
    expect(vmNamed(x, 'fw')).toMatchObject({ class: 'AppVM', netvm: 'net', properties: { provides_network: 'True', netvm: 'net' } });
  });

  test('netvm: uses_default_netvm absent or True = default; False + a qid = that VM; False + none = none', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="a" qid="5" template_qid="1" netvm_qid="2" />
      <QubesAppVm name="b" qid="6" template_qid="1" uses_default_netvm="True" netvm_qid="2" />
      <QubesAppVm name="c" qid="7" template_qid="1" uses_default_netvm="False" netvm_qid="2" />
      <QubesAppVm name="d" qid="8" template_qid="1" uses_default_netvm="False" netvm_qid="none" />
      <QubesAppVm name="e" qid="9" template_qid="1" uses_default_netvm="False" />
      <QubesAppVm name="f" qid="10" template_qid="1" uses_default_netvm="False" netvm_qid="99" />`));
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => vmNamed(x, n).netvm)).toEqual([{ default: true }, { default: true }, 'net', null, null, { default: true }]);
  });

  test('DispVM netvm becomes default_dispvm disp-<netvm> / disp-no-netvm, synthesized once, at the end', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="a" qid="5" template_qid="1" uses_default_netvm="False" netvm_qid="2" />
      <QubesAppVm name="b" qid="6" template_qid="1" uses_default_netvm="False" netvm_qid="2" />
      <QubesAppVm name="c" qid="7" template_qid="1" uses_default_dispvm_netvm="False" dispvm_netvm_qid="none" />
      <QubesAppVm name="d" qid="8" template_qid="1" uses_default_dispvm_netvm="False" dispvm_netvm_qid="3" />`));
    expect(vmNamed(x, 'a').properties['default_dispvm']).toBe('disp-net');
    expect(vmNamed(x, 'b').properties['default_dispvm']).toBe('disp-net');
    expect(vmNamed(x, 'c').properties['default_dispvm']).toBe('disp-no-netvm');
    // d's DispVM netvm is the default netvm: nothing to do.
    expect(vmNamed(x, 'd').properties['default_dispvm']).toBeUndefined();
    expect(x.vms.map((v) => v.name)).toEqual(['dom0', 'tpl', 'net', 'fw', 'a', 'b', 'c', 'd', 'disp-no-netvm', 'disp-net']);
    expect(vmNamed(x, 'disp-net')).toEqual({
      name: 'disp-net', class: 'AppVM', label: 'red', netvm: 'net', included: true,
      properties: { netvm: 'net', template_for_dispvms: 'True' }, features: {}, tags: [], devices: [],
    });
    expect(vmNamed(x, 'disp-no-netvm')).toMatchObject({ netvm: null, included: true });
    expect(vmNamed(x, 'disp-no-netvm').backupPath).toBeUndefined();
  });

  test('no default_netvm global: netvm still set, no DispVM translation (as the reference)', () => {
    const x = parseCore2(core2('<QubesAppVm name="a" qid="5" template_qid="1" uses_default_netvm="False" netvm_qid="2" />', 'default_template="1"'));
    expect(vmNamed(x, 'a').properties).toEqual({ netvm: 'net' });
    expect(x.vms.some((v) => v.name.startsWith('disp-'))).toBe(false);
  });

  test('globals: qids → names, None → null; default_kernel kept; default_fw_netvm dropped', () => {
    expect(parseCore2(core2('', 'default_netvm="3" default_fw_netvm="2" default_template="1" updatevm="None" clockvm="2" default_kernel="4.4"')).globals)
      .toEqual({ default_kernel: '4.4', default_netvm: 'fw', updatevm: null, clockvm: 'net', default_template: 'tpl' });
    failure(() => parseCore2(core2('', 'default_netvm="42"')), 'E_CORRUPT');
  });

  test('R2: no dom0 element → dom0 synthesized first (black, not included)', () => {
    const x = parseCore2(core2(''));
    expect(x.vms[0]).toEqual({
      name: 'dom0', class: 'AdminVM', qid: 0, label: 'black', netvm: null, included: false, properties: {}, features: {}, tags: [], devices: [],
    });
    expect(x.dom0Home).toBeUndefined();
  });

  test('R3 dom0 (qid 0): only class, label and the backup attributes; dom0Home from its path', () => {
    const x = parseCore2(core2(`<QubesAdminVm name="dom0" qid="0" label="black" backup_content="True" backup_path="dom0-home/user"
      backup_size="909" memory="300" vcpus="0" services="{'meminfo-writer': True}" pcidevs="[]" template_qid="none" />`));
    expect(x.vms.filter((v) => v.class === 'AdminVM')).toEqual([{
      name: 'dom0', class: 'AdminVM', sourceClass: 'QubesAdminVm', qid: 0, label: 'black', netvm: null, included: true,
      backupPath: 'dom0-home/user', backupSize: 909, properties: {}, features: {}, tags: [], devices: [],
    }]);
    expect(x.dom0Home).toEqual({ user: 'user', backupPath: 'dom0-home/user', backupSize: 909 });
  });
});

describe('core2 attributes', () => {
  test('simple attributes are kept only when they differ from the R3 default', () => {
    const x = parseCore2(core2(`<QubesAppVm name="a" qid="5" template_qid="1" include_in_backups="True" qrexec_timeout="120" vcpus="2"
      memory="400" maxmem="1535" default_user="user" debug="True" mac="00:16:3E:5E:6C:55" autostart="False" timezone="localtime" />`));
    expect(vmNamed(x, 'a').properties).toEqual({ qrexec_timeout: '120', maxmem: '1535', debug: 'True', mac: '00:16:3E:5E:6C:55' });
  });

  test('kernel/kernelopts are kept only with uses_default_<x> not true; "none" means null', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="a" qid="5" template_qid="none" kernel="None" uses_default_kernel="False" kernelopts="x" uses_default_kernelopts="True" />
      <QubesAppVm name="b" qid="6" template_qid="1" kernel="4.4" uses_default_kernel="false" kernelopts="iommu=soft" uses_default_kernelopts="False" />
      <QubesAppVm name="c" qid="7" template_qid="1" kernel="4.4" />`));
    expect(vmNamed(x, 'a').properties).toEqual({ kernel: null });
    expect(vmNamed(x, 'b').properties).toEqual({ kernel: '4.4', kernelopts: 'iommu=soft' });
    expect(vmNamed(x, 'c').properties).toEqual({});
  });

  test('services become features (renamed where R4 renamed them); internal="True" a feature', () => {
    const x = parseCore2(core2(`<QubesAppVm name="a" qid="5" template_qid="1" internal="True"
      services="{'ntpd': False, 'qubes-update-check': False, 'meminfo-writer': True, &quot;cups&quot;: True}" />`));
    expect(vmNamed(x, 'a').features).toEqual({
      internal: true, 'service.ntpd': false, 'check-updates': false, 'service.meminfo-writer': true, cups: true,
    });
  });

  test('pcidevs become required dom0 PCI devices; pci_strictreset="False" adds no-strict-reset', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="a" qid="5" template_qid="1" pcidevs="['02:00.0', '03:00.0']" pci_strictreset="True" />
      <QubesAppVm name="b" qid="6" template_qid="1" pcidevs="['00:19.0']" pci_strictreset="False" />
      <QubesAppVm name="c" qid="7" template_qid="1" pcidevs="[]" />`));
    expect(vmNamed(x, 'a').devices).toEqual([
      { devclass: 'pci', backend: 'dom0', id: '02_00.0', required: true, mode: 'required', options: {} },
      { devclass: 'pci', backend: 'dom0', id: '03_00.0', required: true, mode: 'required', options: {} },
    ]);
    expect(vmNamed(x, 'b').devices).toEqual([
      { devclass: 'pci', backend: 'dom0', id: '00_19.0', required: true, mode: 'required', options: { 'no-strict-reset': 'True' } },
    ]);
    expect(vmNamed(x, 'c').devices).toEqual([]);
  });

  test('backup_content="True" → included with backup_path and backup_size; other values → not included', () => {
    const x = parseCore2(core2(`
      <QubesAppVm name="a" qid="5" template_qid="1" backup_content="True" backup_path="appvms/a" backup_size="229852" />
      <QubesAppVm name="b" qid="6" template_qid="1" backup_content="true" backup_path="appvms/b" backup_size="junk" />`));
    expect(vmNamed(x, 'a')).toMatchObject({ included: true, backupPath: 'appvms/a', backupSize: 229852 });
    expect(vmNamed(x, 'b')).toMatchObject({ included: false });
    expect(vmNamed(x, 'b').backupPath).toBeUndefined();
  });

  test('QubesDisposableVm and unknown elements are skipped', () => {
    const x = parseCore2(core2('<QubesDisposableVm name="disp50" qid="15" template_qid="1" /><Other name="x" qid="16" />'));
    expect(x.vms.map((v) => v.name)).toEqual(['dom0', 'tpl', 'net', 'fw', 'disp-no-netvm', 'disp-net']);
  });

  test('broken references and duplicates are corrupt', () => {
    failure(() => parseCore2(core2('<QubesAppVm name="a" qid="5" template_qid="42" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm name="a" qid="5" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm name="a" qid="1" template_qid="none" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm name="tpl" qid="5" template_qid="none" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm name="a" qid="5x" template_qid="none" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm qid="5" template_qid="none" />')), 'E_CORRUPT');
    failure(() => parseCore2(core2('<QubesAppVm name="a" qid="5" template_qid="none" backup_content="True" backup_path="vm5" backup_size="1e9" />')), 'E_CORRUPT');
  });

  test('parseCore2 refuses an R4 document; parseQubesXml detects it; other roots are unsupported', () => {
    failure(() => parseCore2('<qubes><labels/></qubes>'), 'E_UNSUPPORTED');
    expect(parseQubesXml('<qubes><labels/></qubes>')).toEqual({ dialect: 'core3', vms: [], globals: {} });
    expect(failure(() => parseQubesXml('<QubesCollection/>'), 'E_UNSUPPORTED').message).toContain('<QubesCollection>');
  });
});
