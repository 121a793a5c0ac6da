// The path rules of the sinks (safe-path.ts, sink.ts), member by member: nothing is written outside
// the destination, through or in place of a symlink, or as a hard link to anything but a file
// restored before it from the same archive; files appear complete only once their last byte
// arrived. `verify` (nullSink) must refuse exactly what `extract` (directorySink) refuses.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptBackupError, type Member } from '@qubes-backup/core';
import { directorySink, nullSink, type ArchiveTarget, type Sink } from '@qubes-backup/restore';
import { enc, fakeMember, rejection, type TypedError } from '@qubes-backup/testkit';
import { linkComponents, memberComponents } from '../src/safe-path.js';

// Targets as the Qubes formats give them: one image of a VM, dom0's home, a template's whole folder.
const IMG: ArchiveTarget = { path: 'vm5/private.img', prefix: 'vm5/', outBase: 'work' };
const HOME: ArchiveTarget = { path: 'dom0-home/user', prefix: 'dom0-home/', outBase: 'dom0-home' };
const TPL: ArchiveTarget = { path: 'vm9/.', prefix: 'vm9/', outBase: 'tpl' };
const FW: ArchiveTarget = { path: 'vm5/firewall.xml', prefix: 'vm5/', outBase: 'work' };

const file = (path: string, text = 'data', o: { mode?: number; mtime?: number } = {}) => fakeMember(path, enc(text), o);
const dir = (path: string, mode = 0o755) => fakeMember(path, undefined, { type: 'dir', mode });
const symlink = (path: string, target: string) => fakeMember(path, undefined, { type: 'symlink', linkTarget: target });
const hardlink = (path: string, target: string, content?: string) =>
  fakeMember(path, content === undefined ? undefined : enc(content), { type: 'hardlink', linkTarget: target });

let work: string;
let dest: string;
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'qbt-sink-')); dest = join(work, 'dest'); mkdirSync(dest); });
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Everything under `dir`, relative, sorted (links not followed). */
function tree(d: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(d, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...tree(d, p));
  }
  return out.sort();
}

interface Outcome { written: number; code?: string; member?: string; message?: string }
/** Feeds the members to a sink in order; how many it took, and the error that stopped it. */
async function run(sink: Sink, steps: readonly (readonly [Member, ArchiveTarget])[]): Promise<Outcome> {
  let written = 0;
  try {
    for (const [m, t] of steps) { await sink.member(m, t); written++; }
    await sink.finish();
    return { written };
  } catch (e) {
    const x = e as TypedError;
    return { written, code: x.code, ...(x.member !== undefined ? { member: x.member } : {}), message: x.message };
  }
}

describe('memberComponents: an inner name as components under the unit folder', () => {
  test.each([
    ['the archive itself', 'vm5/private.img', IMG, ['private.img']],
    ['a trailing slash', 'vm5/private.img//', IMG, ['private.img']],
    ['below the archive', 'dom0-home/user/Documents/a.txt', HOME, ['user', 'Documents', 'a.txt']],
    ['. and empty components dropped', 'dom0-home/user/./Documents//a.txt', HOME, ['user', 'Documents', 'a.txt']],
    ["a template's whole folder", 'vm9/./apps/x.desktop', TPL, ['apps', 'x.desktop']],
    ["the template folder's own entry", 'vm9/.', TPL, []],
    ['any name of a whole archive (path "")', 'home/user/a', { path: '', prefix: '', outBase: '' }, ['home', 'user', 'a']],
    ['a name like ..x is no ..', 'dom0-home/user/..x/x..', HOME, ['user', '..x', 'x..']],
  ] as const)('%s', (_what, name, t, want) => {
    expect(memberComponents(name, t.path, t.prefix)).toEqual(want);
  });

  test.each([
    ['.. below the archive', 'dom0-home/user/../../etc/passwd', HOME, /contains '\.\.'/],
    ['.. at the end', 'dom0-home/user/..', HOME, /contains '\.\.'/],
    ['.. in a whole archive', '../x', { path: '', prefix: '', outBase: '' }, /contains '\.\.'/],
    ['absolute', '/etc/passwd', { path: '', prefix: '', outBase: '' }, /absolute member name/],
    ['absolute, naming the archive', '/vm5/private.img', IMG, /outside its archive/],
    ['NUL', 'dom0-home/user/a\0b', HOME, /contains NUL/],
    ['another file of the VM', 'vm5/firewall.xml', IMG, /outside its archive 'vm5\/private\.img'/],
    ['a name that only starts like the archive', 'vm5/private.img.bak', IMG, /outside its archive/],
    ['another VM', 'vm6/private.img', IMG, /outside its archive/],
    ['the VM folder above the archive', 'vm5', IMG, /outside its archive/],
  ] as const)('refused: %s', (_what, name, t, message) => {
    let error: unknown;
    try { memberComponents(name, t.path, t.prefix); } catch (e) { error = e; }
    expect(error).toMatchObject({ name: 'UnsafePathError', code: 'E_UNSAFE_PATH', member: name });
    expect((error as Error).message).toMatch(message);
  });

  test('linkComponents: the same rules, undefined where a name escapes', () => {
    expect(linkComponents('dom0-home/user/a', HOME.path, HOME.prefix)).toEqual(['user', 'a']);
    for (const bad of ['/etc/passwd', 'dom0-home/user/../../x', 'vm5/x', 'dom0-home/user/a\0b']) expect(linkComponents(bad, HOME.path, HOME.prefix)).toBeUndefined();
  });

  test('a backslash is a character of a name where "/" alone separates folders (it was refused, failing the whole home)', async () => {
    expect(memberComponents('dom0-home/user/back\\slash.txt', HOME.path, HOME.prefix)).toEqual(['user', 'back\\slash.txt']);
    expect(memberComponents('dom0-home/user/..\\..\\x', HOME.path, HOME.prefix)).toEqual(['user', '..\\..\\x']);
    const r = await run(directorySink(dest), [[dir('dom0-home/user'), HOME], [file('dom0-home/user/..\\..\\x', 'kept inside'), HOME]]);
    expect(r).toEqual({ written: 2 });
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user', 'dom0-home/user/..\\..\\x']);
  });
});

// Each sequence goes to both sinks; their outcomes must be equal (and as given).
const refusals: [string, (readonly [Member, ArchiveTarget])[], Omit<Outcome, 'message'> & { message: RegExp }][] = [
  ['a file written through a symlink restored earlier', [[symlink('dom0-home/user/link', '/tmp'), HOME], [file('dom0-home/user/link/evil'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/link/evil', message: /would write through the symlink 'dom0-home\/user\/link'/ }],
  ['a file through a symlink deeper up', [[symlink('dom0-home/user/a', '/'), HOME], [file('dom0-home/user/a/b/c'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/a/b/c', message: /through the symlink 'dom0-home\/user\/a'/ }],
  ['a file replacing a symlink', [[symlink('dom0-home/user/link', '/etc/passwd'), HOME], [file('dom0-home/user/link'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/link', message: /would replace a symlink restored before it/ }],
  ['a folder replacing a symlink', [[symlink('dom0-home/user/link', '/etc'), HOME], [dir('dom0-home/user/link'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/link', message: /would replace a symlink/ }],
  ['a symlink replacing a symlink', [[symlink('dom0-home/user/link', 'a'), HOME], [symlink('dom0-home/user/link', '/etc'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/link', message: /would replace a symlink/ }],
  ['a hard link to a file not restored before (the file comes after it)', [[hardlink('dom0-home/user/l', 'dom0-home/user/f'), HOME], [file('dom0-home/user/f'), HOME]],
    { written: 0, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to 'dom0-home\/user\/f' is not a file restored before it from the same archive/ }],
  ['a hard link to /etc/passwd', [[hardlink('dom0-home/user/l', '/etc/passwd'), HOME]],
    { written: 0, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to '\/etc\/passwd'/ }],
  ['a hard link through ..', [[file('dom0-home/user/f'), HOME], [hardlink('dom0-home/user/l', 'dom0-home/user/../../f'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to/ }],
  ['a hard link to a symlink', [[symlink('dom0-home/user/s', '/etc/passwd'), HOME], [hardlink('dom0-home/user/l', 'dom0-home/user/s'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to 'dom0-home\/user\/s'/ }],
  ['a hard link to a folder', [[dir('dom0-home/user/d'), HOME], [hardlink('dom0-home/user/l', 'dom0-home/user/d'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to/ }],
  ['a hard link to the unit folder itself', [[hardlink('dom0-home/user/l', 'dom0-home/'), HOME]],
    { written: 0, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to/ }],
  ['a hard link to a file of another archive of the same VM', [[file('vm5/firewall.xml'), FW], [hardlink('vm5/private.img', 'vm5/firewall.xml'), IMG]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'vm5/private.img', message: /hard link to 'vm5\/firewall\.xml'/ }],
  ['a hard link carrying content but naming no target', [[fakeMember('dom0-home/user/l', enc('x'), { type: 'hardlink' }), HOME]],
    { written: 0, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l', message: /hard link to 'undefined'/ }],
  ['a member outside its archive', [[file('vm6/private.img'), IMG]],
    { written: 0, code: 'E_UNSAFE_PATH', member: 'vm6/private.img', message: /outside its archive/ }],
  ['.. after a good member', [[file('dom0-home/user/ok'), HOME], [file('dom0-home/user/../../../../tmp/x'), HOME]],
    { written: 1, code: 'E_UNSAFE_PATH', member: 'dom0-home/user/../../../../tmp/x', message: /'\.\.'/ }],
];

describe('extract and verify refuse the same members', () => {
  test.each(refusals)('%s', async (_what, steps, want) => {
    const viaVerify = await run(nullSink(), steps);
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaVerify).toEqual(viaExtract);
    expect(viaExtract).toMatchObject({ ...want, message: expect.stringMatching(want.message) });
    // Nothing at all outside the destination, and nothing through a link inside it.
    expect(readdirSync(work)).toEqual(['dest']);
    for (const p of tree(dest)) if (lstatSync(join(dest, p)).isSymbolicLink()) expect(p).toMatch(/\/(link|s|a)$/);
  });

  test.each([
    ['a hard link to a file restored before it', [[file('dom0-home/user/f', 'same'), HOME], [hardlink('dom0-home/user/l', 'dom0-home/user/f'), HOME]]],
    ['a hard link carrying content whose first link was not restored (Borg: written as a file)', [[hardlink('dom0-home/user/l', 'dom0-home/user/f', 'own')!, HOME]]],
    ['a hard link with content naming /etc/passwd (written as a file of its own)', [[hardlink('dom0-home/user/l', '/etc/passwd', 'own')!, HOME]]],
    ['a symlink to anywhere, never followed', [[symlink('dom0-home/user/s', '/etc/passwd'), HOME], [symlink('dom0-home/user/t', '../../../..'), HOME]]],
    ['files beside a symlink', [[symlink('dom0-home/user/s', '/tmp'), HOME], [file('dom0-home/user/s2'), HOME], [file('dom0-home/user/t/s'), HOME]]],
    ['a hard link to a hard link restored before it', [[file('dom0-home/user/f'), HOME], [hardlink('dom0-home/user/l', 'dom0-home/user/f'), HOME], [hardlink('dom0-home/user/m', 'dom0-home/user/l'), HOME]]],
  ] as const)('accepted: %s', async (_what, steps) => {
    const viaVerify = await run(nullSink(), steps);
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaVerify).toEqual({ written: steps.length });
    expect(viaExtract).toEqual({ written: steps.length });
  });

  test('a hard link carrying content whose target was restored is a link, not a copy', async () => {
    const sink = directorySink(dest);
    await sink.member(file('dom0-home/user/f', 'same'), HOME);
    expect(await sink.member(hardlink('dom0-home/user/l', 'dom0-home/user/f', 'same'), HOME)).toMatchObject({ type: 'hardlink' });
    expect(statSync(join(dest, 'dom0-home/user/l')).ino).toBe(statSync(join(dest, 'dom0-home/user/f')).ino);
  });

  test('a hard link to a file restored before: the same inode; a link carrying content: a file with that content', async () => {
    const sink = directorySink(dest);
    await sink.member(file('dom0-home/user/f', 'same'), HOME);
    expect(await sink.member(hardlink('dom0-home/user/l', 'dom0-home/user/f'), HOME)).toMatchObject({ type: 'hardlink', output: 'dom0-home/user/l', size: 4 });
    expect(statSync(join(dest, 'dom0-home/user/l')).ino).toBe(statSync(join(dest, 'dom0-home/user/f')).ino);
    expect(await sink.member(hardlink('dom0-home/user/m', '/etc/passwd', 'own'), HOME)).toMatchObject({ type: 'file', size: 3 });
    expect(readFileSync(join(dest, 'dom0-home/user/m'), 'utf8')).toBe('own');
    expect(statSync(join(dest, 'dom0-home/user/m')).nlink).toBe(1);
  });

  // Were bugs (sink.ts): each rule below was in directorySink only, so verify passed backups extract refused.
  test('a file named like the unit folder (template archive vm9/.): refused by both', async () => {
    const steps = [[file('vm9/.'), TPL]] as const;
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaExtract).toMatchObject({ code: 'E_UNSAFE_PATH', member: 'vm9/.' });
    expect(await run(nullSink(), steps)).toEqual(viaExtract);
  });

  test('a member below a file restored earlier: refused by both', async () => {
    const steps = [[file('dom0-home/user/f'), HOME], [file('dom0-home/user/f/g'), HOME]] as const;
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaExtract).toMatchObject({ written: 1, code: 'E_UNSAFE_PATH' });
    expect(await run(nullSink(), steps)).toEqual(viaExtract);
  });

  test('a folder member named like a file restored earlier: refused by both', async () => {
    const steps = [[file('dom0-home/user/f'), HOME], [dir('dom0-home/user/f'), HOME]] as const;
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaExtract).toMatchObject({ written: 1, code: 'E_UNSAFE_PATH' });
    expect(await run(nullSink(), steps)).toEqual(viaExtract);
  });

  // extract failed with E_EXISTS on a file it had written itself in this run, while verify accepted.
  test('the same file twice: the later one replaces the earlier (as tar does), without --force; verify agrees', async () => {
    const steps = [[file('dom0-home/user/f', 'one'), HOME], [file('dom0-home/user/f', 'two'), HOME]] as const;
    expect(await run(directorySink(dest), steps)).toEqual({ written: 2 });
    expect(readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')).toBe('two');
    expect(await run(nullSink(), steps)).toEqual({ written: 2 });
  });
});

describe('the rules said plainly', () => {
  test('a file named like the unit folder, a member below a file: each error says which rule', async () => {
    expect(await run(nullSink(), [[file('vm9/.'), TPL]])).toMatchObject({ message: 'vm9/.: a non-directory member names the VM folder itself' });
    const below = await run(nullSink(), [[file('dom0-home/user/f'), HOME], [file('dom0-home/user/f/g'), HOME]]);
    expect(below.message).toBe("dom0-home/user/f/g: 'dom0-home/user/f' was restored as a file, it cannot be a folder");
  });

  test('a folder member naming the unit folder itself is accepted (a template archive starts with vm9/.)', async () => {
    expect(await run(directorySink(dest), [[dir('vm9/.'), TPL], [file('vm9/./apps/a'), TPL]])).toEqual({ written: 2 });
    expect(await run(nullSink(), [[dir('vm9/.'), TPL]])).toEqual({ written: 1 });
  });

  test('a hard link with content but no target is refused by both (tar and Borg links always name one)', async () => {
    const steps = [[fakeMember('dom0-home/user/l', enc('data'), { type: 'hardlink' }), HOME]] as const;
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaExtract).toMatchObject({ written: 0, code: 'E_UNSAFE_PATH' });
    expect(await run(nullSink(), steps)).toEqual(viaExtract);
  });

  test('a hard link without content to a file that was not restored is refused by both (it carries nothing to write)', async () => {
    const steps = [[hardlink('dom0-home/user/l', 'dom0-home/user/missing'), HOME]] as const;
    const viaExtract = await run(directorySink(dest), steps);
    expect(viaExtract).toMatchObject({ written: 0, code: 'E_UNSAFE_PATH' });
    expect(await run(nullSink(), steps)).toEqual(viaExtract);
  });

  test('a whole archive restored into the destination itself (outBase \'\', as Borg archives are): outputs are relative paths', async () => {
    const ALL: ArchiveTarget = { path: '', prefix: '', outBase: '' };
    const sink = directorySink(dest);
    expect(await sink.member(file('home/user/a.txt', 'a'), ALL)).toMatchObject({ output: 'home/user/a.txt' });
    expect(await sink.member(hardlink('home/user/b.txt', 'home/user/a.txt'), ALL)).toMatchObject({ type: 'hardlink', output: 'home/user/b.txt' });
    expect(statSync(join(dest, 'home/user/b.txt')).ino).toBe(statSync(join(dest, 'home/user/a.txt')).ino);
  });
});

describe('directorySink and what is already in the destination', () => {
  test('an existing file is kept and refused (E_EXISTS) without force, replaced with it', async () => {
    mkdirSync(join(dest, 'dom0-home/user'), { recursive: true });
    writeFileSync(join(dest, 'dom0-home/user/f'), 'mine');
    const e = await rejection(directorySink(dest).member(file('dom0-home/user/f', 'new'), HOME));
    expect(e).toMatchObject({ code: 'E_EXISTS', member: 'dom0-home/user/f' });
    expect(e.message).toContain('--force');
    expect(readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')).toBe('mine');
    await directorySink(dest, { force: true }).member(file('dom0-home/user/f', 'new'), HOME);
    expect(readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')).toBe('new');
  });

  test('an existing file where a folder is needed is refused, even with force, and left alone', async () => {
    mkdirSync(join(dest, 'dom0-home'), { recursive: true });
    writeFileSync(join(dest, 'dom0-home/user'), 'mine');
    const e = await rejection(directorySink(dest, { force: true }).member(file('dom0-home/user/f'), HOME));
    expect(e).toMatchObject({ code: 'E_UNSAFE_PATH', member: 'dom0-home/user/f' });
    expect(e.message).toMatch(/dom0-home\/user' exists and is not a directory/);
    expect(readFileSync(join(dest, 'dom0-home/user'), 'utf8')).toBe('mine');
  });

  test.each([['replaced by a symlink', true], ['removed', false]])('a hard link whose target was %s on the disk after it was restored is refused, not linked to whatever is there', async (_how, plant) => {
    const sink = directorySink(dest);
    await sink.member(file('dom0-home/user/f'), HOME);
    rmSync(join(dest, 'dom0-home/user/f'));
    if (plant) symlinkSync('/etc/passwd', join(dest, 'dom0-home/user/f'));
    const e = await rejection(sink.member(hardlink('dom0-home/user/l', 'dom0-home/user/f'), HOME));
    expect(e).toMatchObject({ code: 'E_UNSAFE_PATH', member: 'dom0-home/user/l' });
    expect(e.message).toContain('is not a file restored before it');
    expect(existsSync(join(dest, 'dom0-home/user/l'))).toBe(false);
  });

  test('vm.json is the settings as indented JSON and a final newline, refused over an existing file without force', async () => {
    const sink = directorySink(dest);
    await sink.metadata!('work', 'vm.json', { name: 'work', label: 'red' });
    expect(readFileSync(join(dest, 'work/vm.json'), 'utf8')).toBe('{\n  "name": "work",\n  "label": "red"\n}\n');
    expect(statSync(join(dest, 'work/vm.json')).mode & 0o777).toBe(0o644);
    const e = await rejection(directorySink(dest).metadata!('work', 'vm.json', {}));
    expect(e).toMatchObject({ code: 'E_EXISTS' });
  });

  test('vm.json too appears only complete: a run killed while writing it leaves vm.json.partial, which resume writes again', async () => {
    mkdirSync(join(dest, 'work'), { recursive: true });
    // What a kill -9 between creating and writing it left (a fresh-clone CI run found an empty vm.json).
    writeFileSync(join(dest, 'work/vm.json.partial'), '');
    const e = await rejection(directorySink(dest).metadata!('work', 'vm.json', { name: 'work' }));
    expect(e).toMatchObject({ code: 'E_EXISTS' });
    expect(existsSync(join(dest, 'work/vm.json'))).toBe(false);
    await directorySink(dest, { resume: true }).metadata!('work', 'vm.json', { name: 'work' });
    expect(tree(join(dest, 'work'))).toEqual(['vm.json']);
    expect(readFileSync(join(dest, 'work/vm.json'), 'utf8')).toBe('{\n  "name": "work"\n}\n');
  });

  test('an existing folder in place of a file is refused even with force', async () => {
    mkdirSync(join(dest, 'dom0-home/user/f'), { recursive: true });
    const e = await rejection(directorySink(dest, { force: true }).member(file('dom0-home/user/f'), HOME));
    expect(e).toMatchObject({ code: 'E_EXISTS' });
    expect(e.message).toContain('is a directory');
  });

  test('a symlink planted in place of a file: replaced by the file with force, its target untouched', async () => {
    writeFileSync(join(work, 'victim'), 'victim');
    mkdirSync(join(dest, 'dom0-home/user'), { recursive: true });
    symlinkSync(join(work, 'victim'), join(dest, 'dom0-home/user/f'));
    expect(await rejection(directorySink(dest).member(file('dom0-home/user/f', 'new'), HOME))).toMatchObject({ code: 'E_EXISTS' });
    await directorySink(dest, { force: true }).member(file('dom0-home/user/f', 'new'), HOME);
    expect(lstatSync(join(dest, 'dom0-home/user/f')).isFile()).toBe(true);
    expect(readFileSync(join(work, 'victim'), 'utf8')).toBe('victim');
  });

  test('a symlink planted as a parent folder is never written through, force or not', async () => {
    mkdirSync(join(work, 'elsewhere'));
    mkdirSync(join(dest, 'dom0-home'));
    symlinkSync(join(work, 'elsewhere'), join(dest, 'dom0-home/user'));
    for (const force of [false, true]) {
      const e = await rejection(directorySink(dest, { force }).member(file('dom0-home/user/f'), HOME));
      expect(e).toMatchObject({ code: 'E_UNSAFE_PATH', member: 'dom0-home/user/f' });
      expect(e.message).toContain('refusing to write through symlink');
    }
    expect(readdirSync(join(work, 'elsewhere'))).toEqual([]);
  });

  test('a file where a folder is needed is refused', async () => {
    mkdirSync(join(dest, 'dom0-home'));
    writeFileSync(join(dest, 'dom0-home/user'), 'x');
    const e = await rejection(directorySink(dest, { force: true }).member(file('dom0-home/user/f'), HOME));
    expect(e).toMatchObject({ code: 'E_UNSAFE_PATH' });
    expect(e.message).toContain('exists and is not a directory');
  });

  test('a non-directory member naming the unit folder itself is refused', async () => {
    const e = await rejection(directorySink(dest).member(file('vm9/.'), TPL));
    expect(e).toMatchObject({ code: 'E_UNSAFE_PATH', member: 'vm9/.' });
    expect(e.message).toContain('names the VM folder itself');
  });
});

describe('directorySink: complete-looking files only once complete', () => {
  test('while its bytes arrive a file exists only as <name>.partial (mode 0600); then renamed, with its mode and mtime', async () => {
    const seen: string[][] = [];
    const m = fakeMember('dom0-home/user/f', async function* () {
      yield enc('one ');
      seen.push(tree(dest));
      yield enc('two');
      seen.push([(statSync(join(dest, 'dom0-home/user/f.partial')).mode & 0o777).toString(8)]);
    }, { size: 7, mode: 0o640, mtime: 1_600_000_000 });
    const r = await directorySink(dest).member(m, HOME);
    expect(r).toEqual({ member: 'dom0-home/user/f', output: 'dom0-home/user/f', type: 'file', size: 7 });
    expect(seen).toEqual([['dom0-home', 'dom0-home/user', 'dom0-home/user/f.partial'], ['600']]);
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user', 'dom0-home/user/f']);
    const st = statSync(join(dest, 'dom0-home/user/f'));
    expect([st.mode & 0o777, st.mtimeMs / 1000, readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')]).toEqual([0o640, 1_600_000_000, 'one two']);
  });

  test('a member failing mid-way leaves no complete-looking file, names the member, and discard removes its .partial', async () => {
    const boom = new Error('chunk 3: bad HMAC');
    const m = fakeMember('dom0-home/user/f', async function* () { yield enc('authentic '); throw boom; }, { size: 100 });
    const sink = directorySink(dest);
    await sink.member(file('dom0-home/user/done', 'ok'), HOME);
    await expect(sink.member(m, HOME)).rejects.toBe(boom);
    expect(existsSync(join(dest, 'dom0-home/user/f'))).toBe(false);
    // The .partial keeps what arrived before the failure (salvage with --keep-going), nothing more.
    expect(readFileSync(join(dest, 'dom0-home/user/f.partial'), 'utf8')).toBe('authentic ');
    await sink.discard!('dom0-home');
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user']);
  });

  test('a typed error mid-way is named with the member', async () => {
    const m = fakeMember('dom0-home/user/f', async function* () { yield enc('x'); throw new CorruptBackupError('truncated stream'); }, { size: 100 });
    const e = await rejection(directorySink(dest).member(m, HOME));
    expect(e).toMatchObject({ name: 'CorruptBackupError', code: 'E_CORRUPT', member: 'dom0-home/user/f', message: 'dom0-home/user/f: truncated stream' });
  });

  test('a stale <name>.partial (not written by this run) is never written into', async () => {
    mkdirSync(join(dest, 'dom0-home/user'), { recursive: true });
    writeFileSync(join(dest, 'dom0-home/user/f.partial'), 'stale');
    const e = await rejection(directorySink(dest).member(file('dom0-home/user/f', 'new'), HOME));
    expect(e).toMatchObject({ code: 'E_EXISTS' });
    expect(e.message).toContain(`'${join(dest, 'dom0-home/user/f.partial')}' already exists, left by an interrupted run (use --resume to go on, or --force to start over)`);
    expect(readFileSync(join(dest, 'dom0-home/user/f.partial'), 'utf8')).toBe('stale');
  });

  test.each(['resume', 'force'] as const)('with %s, a stale <name>.partial is written again from the start', async (how) => {
    mkdirSync(join(dest, 'dom0-home/user'), { recursive: true });
    writeFileSync(join(dest, 'dom0-home/user/f.partial'), 'stale and longer');
    const r = await directorySink(dest, { [how]: true }).member(file('dom0-home/user/f', 'new'), HOME);
    expect(r.kept).toBeUndefined();
    expect(tree(join(dest, 'dom0-home'))).toEqual(['user', 'user/f']);
    expect(readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')).toBe('new');
  });

  test('with resume, a complete file is kept unread; links and a file this run wrote are made again', async () => {
    mkdirSync(join(dest, 'dom0-home/user'), { recursive: true });
    writeFileSync(join(dest, 'dom0-home/user/f'), 'restored before');
    symlinkSync('elsewhere', join(dest, 'dom0-home/user/s'));
    const sink = directorySink(dest, { resume: true });
    let read = false;
    const unread = fakeMember('dom0-home/user/f', () => (async function* () { read = true; yield enc('new'); })());
    expect(await sink.member(unread, HOME)).toMatchObject({ output: 'dom0-home/user/f', kept: true });
    expect(read).toBe(false);
    expect(readFileSync(join(dest, 'dom0-home/user/f'), 'utf8')).toBe('restored before');
    await sink.member(symlink('dom0-home/user/s', 'f'), HOME);
    expect(readlinkSync(join(dest, 'dom0-home/user/s'))).toBe('f');
    // Named twice in one run: the later copy replaces the one this run wrote, as without resume.
    await sink.member(file('dom0-home/user/g', 'one'), HOME);
    expect(await sink.member(file('dom0-home/user/g', 'two'), HOME)).not.toHaveProperty('kept');
    expect(readFileSync(join(dest, 'dom0-home/user/g'), 'utf8')).toBe('two');
  });

  test('a unit\'s folders get their times when its metadata is written (a resumed run never reads a complete unit again)', async () => {
    const sink = directorySink(dest);
    await sink.member(fakeMember('dom0-home/user/', undefined, { type: 'dir', mtime: 1_000_000 }), HOME);
    await sink.member(file('dom0-home/user/f', 'x'), HOME);
    await sink.metadata!('dom0-home', 'vm.json', { name: 'dom0' });
    expect(statSync(join(dest, 'dom0-home/user')).mtimeMs).toBe(1_000_000_000);
    expect(readFileSync(join(dest, 'dom0-home/vm.json'), 'utf8')).toBe('{\n  "name": "dom0"\n}\n');
  });

  test('holes stay holes: extents at offsets, the length set at the end', async () => {
    const m: Member = {
      ...fakeMember('vm5/private.img'), size: 1 << 20, sparse: true,
      async *extents() { yield { offset: 4096, bytes: enc('a') }; yield { offset: 512 * 1024, bytes: enc('b') }; },
    };
    await directorySink(dest).member(m, IMG);
    const got = readFileSync(join(dest, 'work/private.img'));
    expect([got.length, got[4096], got[512 * 1024], got.subarray(0, 4096).every((b) => b === 0)]).toEqual([1 << 20, 0x61, 0x62, true]);
    expect(statSync(join(dest, 'work/private.img')).blocks * 512).toBeLessThan(64 * 1024);
  });
});

describe('directorySink: large extents written while the next ones arrive', () => {
  const MiB = 1 << 20;
  const piece = (i: number) => new Uint8Array(MiB + 4096 * i).fill(1 + i);

  test('20 extents of 1 MiB and more, in and out of order of completion: every byte where it belongs, the holes kept', async () => {
    const at = (i: number) => i * 3 * MiB;
    const m: Member = {
      ...fakeMember('vm5/private.img'), size: 64 * MiB, sparse: true,
      async *extents() { for (let i = 0; i < 20; i++) yield { offset: at(i), bytes: piece(i) }; },
    };
    await directorySink(dest).member(m, IMG);
    const got = readFileSync(join(dest, 'work/private.img'));
    expect(got.length).toBe(64 * MiB);
    for (let i = 0; i < 20; i++) {
      const p = piece(i);
      expect([i, got[at(i)], got[at(i) + p.length - 1], got[at(i) + p.length]]).toEqual([i, 1 + i, 1 + i, 0]);
    }
    expect(statSync(join(dest, 'work/private.img')).blocks * 512).toBeLessThan(40 * MiB);
  });

  test('an extent that fails after large writes were started: they end before the file is closed, no complete-looking file', async () => {
    const m: Member = {
      ...fakeMember('vm5/private.img'), size: 64 * MiB, sparse: true,
      async *extents() {
        // 32 MiB writes take milliseconds: the failure comes while the last one still runs.
        for (let i = 0; i < 2; i++) yield { offset: i * 32 * MiB, bytes: new Uint8Array(32 * MiB).fill(1 + i) };
        throw new CorruptBackupError('chunk 2: hash mismatch');
      },
    };
    await expect(directorySink(dest).member(m, IMG)).rejects.toMatchObject({ code: 'E_CORRUPT', member: 'vm5/private.img' });
    expect(existsSync(join(dest, 'work/private.img'))).toBe(false);
    const partial = readFileSync(join(dest, 'work/private.img.partial'));
    // Every write that was started landed before the descriptor was closed.
    expect([partial.length, partial[0], partial[32 * MiB - 1], partial[32 * MiB], partial[64 * MiB - 1]]).toEqual([64 * MiB, 1, 1, 2, 2]);
  });
});

describe('directorySink: other members', () => {
  test('a symlink is created as given (never resolved), devices and FIFOs are skipped, folders get their mode at the end', async () => {
    const sink = directorySink(dest);
    expect(await sink.member(symlink('dom0-home/user/s', '../../../../etc/passwd'), HOME)).toMatchObject({ type: 'symlink', output: 'dom0-home/user/s' });
    expect(readlinkSync(join(dest, 'dom0-home/user/s'))).toBe('../../../../etc/passwd');
    for (const type of ['char', 'block', 'fifo'] as const) {
      const r = await sink.member(fakeMember(`dom0-home/user/${type}`, undefined, { type }), HOME);
      expect(r).toEqual({ member: `dom0-home/user/${type}`, type, size: 0, skipped: `${type} entries are not restored` });
    }
    // A 0500 folder still receives the files after it; its mode is set by finish().
    await sink.member(dir('dom0-home/user/ro', 0o500), HOME);
    await sink.member(file('dom0-home/user/ro/f'), HOME);
    expect(statSync(join(dest, 'dom0-home/user/ro')).mode & 0o777).toBe(0o755);
    await sink.finish();
    expect(statSync(join(dest, 'dom0-home/user/ro')).mode & 0o777).toBe(0o500);
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user', 'dom0-home/user/ro', 'dom0-home/user/ro/f', 'dom0-home/user/s']);
  });

  test('a name with bytes that are not UTF-8 is written as those bytes', async () => {
    await directorySink(dest).member(file('dom0-home/user/caf\udce9'), HOME);
    expect(readdirSync(join(dest, 'dom0-home/user'), { encoding: 'buffer' }).map((b) => b.toString('hex'))).toEqual([Buffer.from('caf\xe9', 'latin1').toString('hex')]);
  });

  test('metadata (vm.json) is written once, refused over an existing file without force', async () => {
    await directorySink(dest).metadata!('work', 'vm.json', { name: 'work' });
    expect(JSON.parse(readFileSync(join(dest, 'work/vm.json'), 'utf8'))).toEqual({ name: 'work' });
    await expect(directorySink(dest).metadata!('work', 'vm.json', {})).rejects.toMatchObject({ code: 'E_EXISTS' });
    await directorySink(dest, { force: true }).metadata!('work', 'vm.json', { v: 2 });
    expect(JSON.parse(readFileSync(join(dest, 'work/vm.json'), 'utf8'))).toEqual({ v: 2 });
  });

  test('folders: created 0755 whatever the umask; their result; a mode of 0 is left alone; the deepest get their times first', async () => {
    const old = process.umask(0);
    try {
      const sink = directorySink(dest);
      expect(await sink.member(dir('dom0-home/user/a', 0o700), HOME)).toEqual({ member: 'dom0-home/user/a', output: 'dom0-home/user/a', type: 'dir', size: 0 });
      await sink.member(fakeMember('dom0-home/user/a/b', undefined, { type: 'dir', mode: 0, mtime: 1_500_000_000 }), HOME);
      await sink.member(file('dom0-home/user/new/f'), HOME);
      expect(statSync(join(dest, 'dom0-home/user/new')).mode & 0o777).toBe(0o755);
      await sink.finish();
      expect(statSync(join(dest, 'dom0-home/user/a')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dest, 'dom0-home/user/a/b')).mode & 0o777).toBe(0o755);
      expect(statSync(join(dest, 'dom0-home/user/a/b')).mtimeMs / 1000).toBe(1_500_000_000);
    } finally {
      process.umask(old);
    }
  });

  test('vm.json: JSON and a newline, mode 0644 whatever the umask', async () => {
    const old = process.umask(0);
    try {
      await directorySink(dest).metadata!('work', 'vm.json', { a: 1 });
      expect(readFileSync(join(dest, 'work/vm.json'), 'utf8')).toBe('{\n  "a": 1\n}\n');
      expect(statSync(join(dest, 'work/vm.json')).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

  test('discard removes everything the run wrote for that folder: a symlink written first, a stand-alone link\'s .partial', async () => {
    const sink = directorySink(dest);
    await sink.member(symlink('dom0-home/user/s', '/etc'), HOME);
    const failing = fakeMember('dom0-home/user/l', async function* () { yield enc('x'); throw new Error('cut'); }, { type: 'hardlink', linkTarget: 'dom0-home/user/none', size: 10 });
    await expect(sink.member(failing, HOME)).rejects.toThrow('cut');
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user', 'dom0-home/user/l.partial', 'dom0-home/user/s']);
    await sink.discard!('dom0-home');
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user']);
    await sink.discard!('never-written');
  });

  test('a unit restored into the destination itself (output folder "")', async () => {
    const whole: ArchiveTarget = { path: '', prefix: '', outBase: '' };
    const sink = directorySink(dest);
    await sink.member(file('a/b', 'x'), whole);
    await sink.member(hardlink('a/c', 'a/b'), whole);
    expect(tree(dest)).toEqual(['a', 'a/b', 'a/c']);
  });

  test('a symlink member without a target, or a file the file system cannot hold: an I/O error naming it', async () => {
    const e = await rejection(directorySink(dest).member(fakeMember('dom0-home/user/s', undefined, { type: 'symlink' }), HOME));
    expect(e).toMatchObject({ code: 'E_IO', member: 'dom0-home/user/s' });
    expect(e.message).toContain('cannot write');
    const huge = await rejection(directorySink(dest).member(fakeMember('dom0-home/user/h', enc('x'), { size: 2 ** 62 }), HOME));
    expect(huge).toMatchObject({ code: 'E_IO', member: 'dom0-home/user/h' });
    expect(huge.message).toContain('cannot write');
    // The cause is kept (node refuses the length, ERR_OUT_OF_RANGE, before the file system does).
    expect(huge.cause).toMatchObject({ code: expect.any(String) });
  });

  test('every file written is closed again (no descriptor left open per member)', async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const sink = directorySink(dest);
    await sink.member(file('dom0-home/user/first'), HOME);
    const before = open();
    for (let i = 0; i < 20; i++) await sink.member(file(`dom0-home/user/f${i}`), HOME);
    expect(open()).toBeLessThan(before + 5);
  });

  test('nullSink reads every member to the end and writes nothing', async () => {
    let read = 0;
    const m = fakeMember('dom0-home/user/f', async function* () { yield enc('abc'); read += 3; yield enc('de'); read += 2; }, { size: 5 });
    expect(await nullSink().member(m, HOME)).toEqual({ member: 'dom0-home/user/f', type: 'file', size: 5 });
    expect(read).toBe(5);
    expect(tree(dest)).toEqual([]);
  });
});

describe('a file whose name ends in .partial is restored like any other', () => {
  test.each([{}, { force: true }])('`data.partial` restored before `data` is kept, not taken for a leftover (%o)', async (options) => {
    const r = await run(directorySink(dest, options), [[dir('dom0-home/user'), HOME], [file('dom0-home/user/data.partial', 'a download'), HOME], [file('dom0-home/user/data', 'the file'), HOME]]);
    expect(r).toEqual({ written: 3 });
    expect(tree(dest)).toEqual(['dom0-home', 'dom0-home/user', 'dom0-home/user/data', 'dom0-home/user/data.partial']);
    expect(readFileSync(join(dest, 'dom0-home/user/data.partial'), 'utf8')).toBe('a download');
    expect(readFileSync(join(dest, 'dom0-home/user/data'), 'utf8')).toBe('the file');
  });
});
