import { describe, expect, test } from '@jest/globals';
import { checkBackupPath, parseCore2, parseCore3 } from '../src/index.js';
import { core2, core3, failure } from './_helpers.js';

const ACCEPTED = ['vm5', 'vm5/', 'vm0', 'vm123/', 'appvms/work', 'appvms/work/', 'vm-templates/fedora-23', 'vm-templates/my_t.x/',
  'servicevms/sys-net', 'servicevms/sys-net/'];
const REFUSED = ['', '/', '../../etc', '/etc/passwd', '/vm5', 'vm5//', 'vm5/..', 'vm5/../x', 'vm', 'vmx', 'VM5', 'vm5x', 'vm-5',
  'appvms', 'appvms/', 'appvms/.', 'appvms/..', 'appvms/../x', 'appvms/a/b', 'appvms//a', 'appvms/a\\..\\..', 'appvms\\a',
  'appvms/a\u0000', 'appvms/.hidden', 'appvms/a b', 'other/a', 'dom0-home/user', './vm5', 'vm5/.', 'C:\\vm5', 'appvms/a\n'];

describe('checkBackupPath', () => {
  test.each(ACCEPTED)('accepts %j for a VM', (p) => {
    expect(checkBackupPath(p, 'x', 'vm')).toBeUndefined();
  });
  test.each(['dom0-home/user', 'dom0-home/user/', 'dom0-home/a.b-c_d'])('accepts %j for dom0, returning the user', (p) => {
    expect(checkBackupPath(p, 'dom0', 'dom0-home')).toBe(p.split('/')[1]);
  });
  test.each(REFUSED)('refuses %j for a VM', (p) => {
    expect(() => checkBackupPath(p, 'x', 'vm')).toThrow(expect.objectContaining({ code: 'E_UNSAFE_PATH' }));
  });
  test.each(['dom0-home', 'dom0-home/', 'dom0-home/..', 'dom0-home/../../root', 'dom0-home/a/b', '/home/user', 'vm0', 'appvms/dom0'])(
    'refuses %j for dom0', (p) => {
      expect(() => checkBackupPath(p, 'dom0', 'dom0-home')).toThrow(expect.objectContaining({ code: 'E_UNSAFE_PATH' }));
    });
});

describe('an unsafe backup path in qubes.xml fails the parse with UnsafePathError naming the VM', () => {
  const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
    .replace(/\u0000/g, '&#0;').replace(/\n/g, '&#10;');

  test.each(REFUSED.filter((p) => !p.includes('\u0000')))('core2 backup_path %j', (p) => {
    const xml = core2(`<QubesAppVm name="evil" qid="5" template_qid="1" backup_content="True" backup_path="${escape(p)}" />`);
    expect(failure(() => parseCore2(xml), 'E_UNSAFE_PATH').message).toContain('"evil"');
  });

  test.each(REFUSED.filter((p) => !p.includes('\u0000') && p !== ''))('core3 backup-path %j', (p) => {
    const xml = core3(`<domain id="domain-5" class="AppVM"><properties><property name="name">evil</property><property name="label">label-1</property></properties>
      <features><feature name="backup-content">1</feature><feature name="backup-path">${escape(p)}</feature></features></domain>`);
    expect(failure(() => parseCore3(xml), 'E_UNSAFE_PATH').message).toContain('"evil"');
  });

  test('an included VM without a backup path is corrupt (core3 empty feature text means none)', () => {
    const xml = core3(`<domain id="domain-5" class="AppVM"><properties><property name="name">evil</property><property name="label">label-1</property></properties>
      <features><feature name="backup-content">1</feature><feature name="backup-path"></feature></features></domain>`);
    expect(failure(() => parseCore3(xml), 'E_CORRUPT').message).toContain('"evil"');
    failure(() => parseCore2(core2('<QubesAppVm name="evil" qid="5" template_qid="1" backup_content="True" />')), 'E_CORRUPT');
  });

  test('dom0 must use dom0-home/<user>', () => {
    const xml = core2('<QubesAdminVm name="dom0" qid="0" backup_content="True" backup_path="../../root" />');
    expect(failure(() => parseCore2(xml), 'E_UNSAFE_PATH').message).toContain('"dom0"');
    failure(() => parseCore2(core2('<QubesAdminVm name="dom0" qid="0" backup_content="True" backup_path="vm0" />')), 'E_UNSAFE_PATH');
  });

  test('a path of a VM left out of the backup is not used, so not checked', () => {
    const xml = core2('<QubesAppVm name="a" qid="5" template_qid="1" backup_content="False" backup_path="../../etc" />');
    expect(parseCore2(xml).vms.find((v) => v.name === 'a')?.backupPath).toBeUndefined();
  });

  test.each(['../x', 'a/b', '.', '..', 'a\\b', 'a\u0001b'])('VM name %j is refused', (name) => {
    const xml = core3(`<domain id="domain-5" class="AppVM"><properties><property name="name">${escape(name).replace(/\u0001/g, '&#1;')}</property></properties></domain>`);
    // &#1; is no XML character: the reference itself is refused as corrupt.
    failure(() => parseCore3(xml), name.includes('\u0001') ? 'E_CORRUPT' : 'E_UNSAFE_PATH');
    if (!name.includes('\u0001')) failure(() => parseCore2(core2(`<QubesAppVm name="${escape(name)}" qid="5" template_qid="1" />`)), 'E_UNSAFE_PATH');
  });

  test('an empty VM name is refused', () => {
    failure(() => parseCore2(core2('<QubesAppVm name="" qid="5" template_qid="1" />')), 'E_UNSAFE_PATH');
  });
});
