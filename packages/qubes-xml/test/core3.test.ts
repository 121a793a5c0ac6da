import { describe, expect, test } from '@jest/globals';
import { parseCore3, parseQubesXml } from '../src/index.js';
import { core3, failure, vmNamed } from './_helpers.js';

const appvm = (body: string, cls = 'AppVM'): string => `<domain id="domain-5" class="${cls}">${body}</domain>`;
const props = (p: Record<string, string | null>): string =>
  `<properties>${Object.entries(p).map(([k, v]) => (v === null ? `<property name="${k}"/>` : `<property name="${k}">${v}</property>`)).join('')}</properties>`;

describe('core3 domains', () => {
  test('name, label by id or by name, template, qid; uuid dropped; other properties kept', () => {
    const x = parseCore3(core3(
      appvm(props({ name: 'work', label: 'label-1', template: 'fedora', qid: '5', uuid: 'u', memory: '400', kernel: null })) +
      appvm(props({ name: 'other', label: 'black' }), 'StandaloneVM'),
    ));
    expect(vmNamed(x, 'work')).toEqual({
      name: 'work', class: 'AppVM', sourceClass: 'AppVM', qid: 5, label: 'red', template: 'fedora', netvm: { default: true }, included: false,
      properties: { memory: '400', kernel: null }, features: {}, tags: [], devices: [],
    });
    expect(vmNamed(x, 'other')).toMatchObject({ class: 'StandaloneVM', label: 'black' });
    expect(x.vms[0]).toMatchObject({ name: 'dom0', class: 'AdminVM', qid: 0, label: 'black', included: false });
    expect(x.globals).toEqual({ default_netvm: 'sys-firewall' });
  });

  test('netvm: absent = default ({ default: true }), empty = none (null), text = a name', () => {
    const x = parseCore3(core3(
      appvm(props({ name: 'a', label: 'label-1' })) + appvm(props({ name: 'b', label: 'label-1', netvm: null })) +
      appvm(props({ name: 'c', label: 'label-1', netvm: 'sys-net' })) + appvm(props({ name: 'd', label: 'label-1', netvm: '' })),
    ));
    expect(['a', 'b', 'c', 'd'].map((n) => vmNamed(x, n).netvm)).toEqual([{ default: true }, null, 'sys-net', null]);
    expect(vmNamed(x, 'b').properties).toEqual({ netvm: null });
  });

  test('features: empty text is false; backup-* features become included/backupPath/backupSize', () => {
    const x = parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1', qid: '5' })}<features>
      <feature name="gui">1</feature><feature name="off"/><feature name="off2"></feature><feature name="x">False</feature>
      <feature name="backup-content">True</feature><feature name="backup-path">vm5/</feature><feature name="backup-size">2097152000</feature>
    </features>`)));
    expect(vmNamed(x, 'w')).toMatchObject({
      included: true, backupPath: 'vm5/', backupSize: 2097152000,
      features: { gui: '1', off: false, off2: false, x: 'False' },
    });
  });

  test('a false backup-content leaves the VM out; its other backup-* features stay as features', () => {
    const x = parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1' })}<features>
      <feature name="backup-content"/><feature name="backup-path">vm5/</feature></features>`)));
    expect(vmNamed(x, 'w')).toMatchObject({ included: false, features: { 'backup-path': 'vm5/' } });
    expect(vmNamed(x, 'w').backupPath).toBeUndefined();
  });

  test('tags in order, without duplicates', () => {
    const x = parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1' })}<tags><tag name="b"/><tag name="a"/><tag name="b"/></tags>`)));
    expect(vmNamed(x, 'w').tags).toEqual(['b', 'a']);
  });

  test('devices: R4.2 mode/identity, legacy required (default yes), options, last duplicate wins', () => {
    const x = parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1' })}
      <devices class="pci">
        <device backend-domain="dom0" id="00_14.0"><option name="no-strict-reset">True</option><option name="empty"/></device>
        <device backend-domain="dom0" id="00_19.0" required="no"/>
        <device backend-domain="dom0" id="00_1d.0" mode="ask-to-attach" identity="0x0c03:8086:a36d::p0c0330"/>
      </devices>
      <devices class="block">
        <device backend-domain="sys-usb" id="sda" mode="required" required="no"/>
        <device backend-domain="sys-usb" id="sdb" required="True"/>
        <device backend-domain="sys-usb" id="sdb" required="False"/>
      </devices>`)));
    expect(vmNamed(x, 'w').devices).toEqual([
      { devclass: 'pci', backend: 'dom0', id: '00_14.0', required: true, mode: 'required', options: { 'no-strict-reset': 'True', empty: '' } },
      { devclass: 'pci', backend: 'dom0', id: '00_19.0', required: false, mode: 'auto-attach', options: {} },
      { devclass: 'pci', backend: 'dom0', id: '00_1d.0', required: false, mode: 'ask-to-attach', identity: '0x0c03:8086:a36d::p0c0330', options: {} },
      { devclass: 'block', backend: 'sys-usb', id: 'sda', required: true, mode: 'required', options: {} },
      { devclass: 'block', backend: 'sys-usb', id: 'sdb', required: false, mode: 'auto-attach', options: {} },
    ]);
  });

  test('a required= that is not a boolean word is corrupt', () => {
    failure(() => parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1' })}<devices class="pci"><device backend-domain="dom0" id="x" required="maybe"/></devices>`))), 'E_CORRUPT');
  });

  test('AdminVM: always named dom0; a dom0-home backup path gives dom0Home', () => {
    const xml = core3('').replace('<domain id="domain-0" class="AdminVM"><properties><property name="label">label-8</property></properties></domain>',
      `<domain id="domain-0" class="AdminVM"><properties><property name="label">label-8</property></properties>
       <features><feature name="backup-content">1</feature><feature name="backup-path">dom0-home/alice/</feature><feature name="backup-size">909</feature></features></domain>`);
    const x = parseCore3(xml);
    expect(x.vms[0]).toMatchObject({ name: 'dom0', included: true, backupPath: 'dom0-home/alice/', backupSize: 909 });
    expect(x.dom0Home).toEqual({ user: 'alice', backupPath: 'dom0-home/alice/', backupSize: 909 });
  });

  test('an unknown label is kept as written (the restore picks a fallback)', () => {
    expect(vmNamed(parseCore3(core3(appvm(props({ name: 'w', label: 'label-99' })))), 'w').label).toBe('label-99');
  });

  test('a property named __proto__ is an own key and pollutes nothing', () => {
    const x = parseCore3(core3(appvm(`<properties><property name="name">w</property><property name="label">label-1</property>
      <property name="__proto__">x</property><property name="constructor">y</property></properties>`)));
    const p = vmNamed(x, 'w').properties;
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  test('structural errors are corrupt: no labels, no class, no name, duplicate names, bad qid or size', () => {
    failure(() => parseCore3('<qubes><domains/></qubes>'), 'E_CORRUPT');
    failure(() => parseCore3(core3('<domain id="d">' + props({ name: 'w', label: 'label-1' }) + '</domain>')), 'E_CORRUPT');
    failure(() => parseCore3(core3(appvm(props({ label: 'label-1' })))), 'E_CORRUPT');
    failure(() => parseCore3(core3(appvm(props({ name: 'w', label: 'label-1' })).repeat(2))), 'E_CORRUPT');
    failure(() => parseCore3(core3(appvm(props({ name: 'dom0', label: 'label-1' })))), 'E_CORRUPT');
    failure(() => parseCore3(core3(appvm(props({ name: 'w', label: 'label-1', qid: '5x' })))), 'E_CORRUPT');
    failure(() => parseCore3(core3(appvm(`${props({ name: 'w', label: 'label-1' })}<features><feature name="backup-content">1</feature><feature name="backup-path">vm5</feature><feature name="backup-size">-1</feature></features>`))), 'E_CORRUPT');
  });

  test('parseCore3 refuses an R3 document; parseQubesXml detects it', () => {
    const r3 = '<QubesVmCollection default_template="none"/>';
    failure(() => parseCore3(r3), 'E_UNSUPPORTED');
    expect(parseQubesXml(r3).dialect).toBe('core2');
  });
});
