// The VM model (qubes-model.ts). No MAC covers the list of stored files, so `missingData` is what
// notices a dropped one: a VM qubes.xml lists but whose data, or whose image, is not in the backup.
import { describe, expect, test } from '@jest/globals';
import { dom0HomeOf, imageLocation, missingData, qubesModel, type QubesHeaderParts, type QubesXmlParts, type VmInfo } from '@qubes-backup/qubes-common';
import { fakeMember } from '@qubes-backup/testkit';

const vm = (v: Partial<VmInfo> & { name: string }): VmInfo => ({ class: 'AppVM', netvm: { default: true }, included: true, properties: {}, features: {}, tags: [], devices: [], ...v });
const parts = (version: number, vms: VmInfo[], dom0 = true): [QubesHeaderParts, QubesXmlParts] => [
  { version, header: {}, encrypted: true, compressed: true, authenticated: true },
  { vms, globals: {}, ...(dom0 ? { dom0Home: { user: 'user', backupPath: 'dom0-home/user', backupSize: 92 } } : {}) },
];
const seen = (archives: string[] = [], files: string[] = []) => ({ archives: new Set(archives), files: new Set(files) });

const V4 = qubesModel('v4', ...parts(4, [
  vm({ name: 'dom0', class: 'AdminVM', backupPath: 'dom0-home/user', backupSize: 92 }),
  vm({ name: 'work', backupPath: 'vm5/', backupSize: 1000, volumes: [{ name: 'root', saveOnStop: false }, { name: 'private', saveOnStop: true }] }),
  vm({ name: 'tpl', class: 'TemplateVM', backupPath: 'vm9/', volumes: [{ name: 'root', saveOnStop: true }, { name: 'private', saveOnStop: true }] }),
  vm({ name: 'gone', included: false }),
  vm({ name: 'disp', included: true }),
]));

describe('missingData', () => {
  test.each([
    ['a VM with no archive at all', 'work', /^vm5\/: no data for VM 'work' in the backup although qubes\.xml lists it \(missing or truncated backup\)$/, 'vm5/'],
    ["dom0's home with no archive", 'dom0', /no data for dom0's home/, 'dom0-home/user'],
    ['a unit qubes.xml does not place', 'disp', /no data for VM 'disp'/, 'disp'],
  ])('%s', (_what, unit, message, member) => {
    const e = missingData(V4, unit, seen());
    expect(e).toMatchObject({ name: 'CorruptBackupError', code: 'E_CORRUPT', member });
    expect(e!.message).toMatch(message);
  });

  test('format 4: each volume qubes.xml marks save_on_stop must be stored as <volume>.img', () => {
    expect(missingData(V4, 'work', seen(['vm5/private.img']))).toBeUndefined();
    expect(missingData(V4, 'work', seen(['vm5/private.img', 'vm5/firewall.xml']))).toBeUndefined();
    const e = missingData(V4, 'work', seen(['vm5/firewall.xml']));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/private.img' });
    expect(e!.message).toContain("VM 'work' has no private.img in the backup although qubes.xml says it was backed up (a stored file was dropped)");
    // root.img is not saved on stop for an AppVM: not required.
    expect(missingData(V4, 'tpl', seen(['vm9/private.img']))).toMatchObject({ member: 'vm9/root.img' });
    expect(missingData(V4, 'tpl', seen(['vm9/root.img', 'vm9/private.img']))).toBeUndefined();
  });

  test('dom0 with its archive, or a unit that is no VM, needs nothing more', () => {
    expect(missingData(V4, 'dom0', seen(['dom0-home/user']))).toBeUndefined();
    expect(missingData(V4, 'nobody', seen(['x']))).toBeUndefined();
  });

  test('formats 2-3: the classes that always have a private.img must restore one', () => {
    const v3 = qubesModel('v3', ...parts(3, [
      vm({ name: 'work', sourceClass: 'QubesAppVm', backupPath: 'appvms/work' }),
      vm({ name: 'net', sourceClass: 'QubesNetVm', backupPath: 'servicevms/net' }),
      vm({ name: 'disp', sourceClass: 'QubesDisposableVm', backupPath: 'appvms/disp' }),
    ]));
    expect(missingData(v3, 'work', seen(['appvms/work/firewall.xml'], ['firewall.xml']))).toMatchObject({ member: 'appvms/work/private.img' });
    expect(missingData(v3, 'net', seen(['servicevms/net/x'], ['x']))).toMatchObject({ member: 'servicevms/net/private.img' });
    expect(missingData(v3, 'work', seen(['appvms/work/private.img'], ['private.img']))).toBeUndefined();
    expect(missingData(v3, 'disp', seen(['appvms/disp/x'], ['x']))).toBeUndefined();
    // Format 1 has nothing to compare with.
    expect(missingData(qubesModel('v1', ...parts(1, [vm({ name: 'work', sourceClass: 'QubesAppVm', backupPath: 'appvms/work' })])), 'work', seen(['appvms/work/x'], ['x']))).toBeUndefined();
  });

  test('formats 2-3: a template or standalone VM (stored as its whole folder) must restore a root.img too', () => {
    const v3 = qubesModel('v3', ...parts(3, [
      vm({ name: 'sa', class: 'StandaloneVM', sourceClass: 'QubesAppVm', backupPath: 'appvms/sa' }),
      vm({ name: 'tpl', class: 'TemplateVM', sourceClass: 'QubesTemplateVm', backupPath: 'vm-templates/tpl' }),
    ]));
    for (const [unit, base] of [['sa', 'appvms/sa'], ['tpl', 'vm-templates/tpl']] as const) {
      const e = missingData(v3, unit, seen([`${base}/.`], ['private.img', 'firewall.xml']));
      expect(e).toMatchObject({ code: 'E_CORRUPT', member: `${base}/root.img` });
      expect(missingData(v3, unit, seen([`${base}/.`], ['private.img', 'root.img']))).toBeUndefined();
    }
  });
});

describe('qubesModel', () => {
  test('every VM but dom0 is a unit; present only when included with a backup path; dom0 home is the unit dom0', () => {
    expect(V4.units.map((u) => [u.name, u.output, u.present, u.size])).toEqual([
      ['work', 'work', true, 1000], ['tpl', 'tpl', true, undefined], ['gone', 'gone', false, undefined], ['disp', 'disp', false, undefined], ['dom0', 'dom0-home', true, 92],
    ]);
    expect(V4.units.find((u) => u.name === 'work')?.metadata).toEqual({ file: 'vm.json', json: V4.vms[1] });
    expect([V4.format, V4.title, V4.unitNoun]).toEqual(['v4', 'Qubes backup format 4', 'VM']);
    expect(qubesModel('v4', ...parts(4, [], false)).units).toEqual([]);
  });

  test('imageLocation: a VM image is its own archive (format 4) or part of the VM folder (templates of formats 1-3)', () => {
    const at = imageLocation(V4, 'work', 'private')!;
    expect([at.archive({ unit: 'work', path: 'vm5/private.img' }), at.archive({ unit: 'work', path: 'vm5/.' }), at.archive({ unit: 'work', path: 'vm5' })]).toEqual([true, true, true]);
    expect([at.archive({ unit: 'work', path: 'vm5/root.img' }), at.archive({ unit: 'tpl', path: 'vm5/private.img' })]).toEqual([false, false]);
    expect(at.member(fakeMember('vm5/private.img'))).toBe(true);
    expect(at.member(fakeMember('vm5/./private.img/'))).toBe(true);
    expect(at.member(fakeMember('vm5/private.img', undefined, { type: 'symlink', linkTarget: 'x' }))).toBe(false);
    expect(at.member(fakeMember('vm5/xprivate.img'))).toBe(false);
    for (const unit of ['dom0', 'gone', 'disp', 'nobody']) expect(imageLocation(V4, unit, 'private')).toBeUndefined();
  });

  test('dom0HomeOf', () => {
    expect(dom0HomeOf('alice')).toEqual({ user: 'alice', backupPath: 'dom0-home/alice' });
    expect(dom0HomeOf(undefined)).toBeUndefined();
  });
});
