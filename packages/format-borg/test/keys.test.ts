// Where the key of a keyfile repository comes from: --keyfile (a key file, a plain export, a paper
// key typed back in), BORG_KEY_FILE, the keys folder; and clear errors when it is not found.
import { afterAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { BorgRepositoryInfo } from '@qubes-backup/format-borg';
import { inspect } from '@qubes-backup/restore';
import { cases } from './_borg.js';

const c = cases.find((x) => x.name === 'keyfile-zstd')!;
const work = mkdtempSync(join(tmpdir(), 'qbt-borg-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const keyfile = join(c.dir, 'keyfile');

/** Opens the repository with the given settings and environment variables (HOME pointed at an empty folder). */
async function open(settings: Record<string, string>, env: Record<string, string> = {}) {
  const saved = { ...process.env };
  const home = mkdtempSync(join(work, 'home-'));
  Object.assign(process.env, { HOME: home, ...env });
  for (const k of ['BORG_KEY_FILE', 'BORG_KEYS_DIR', 'BORG_CONFIG_DIR', 'XDG_CONFIG_HOME', 'BORG_BASE_DIR']) if (!(k in env)) delete process.env[k];
  try {
    return (await inspect(c.repo, { registry: defaultRegistry(), passphrase: c.expected.passphrase!, settings })).info as BorgRepositoryInfo;
  } finally {
    process.env = saved;
  }
}

describe('keyfile repositories', () => {
  test('--keyfile with the key file', async () => {
    expect((await open({ keyfile })).archives.map((a) => a.id)).toEqual(c.expected.list.archives.map((a) => a.id));
  });

  test('the paper key typed back in', async () => {
    const info = await open({ keyfile: join(c.dir, c.expected.paper_key!) });
    expect(info.key).toContain('paper key');
    expect(info.archives).toHaveLength(c.expected.list.archives.length);
  });

  test('a paper key with a mistyped character names its line', async () => {
    const e = await open({ keyfile: join(c.dir, 'paper-key-typo.txt') }).catch((x: unknown) => x as Error);
    expect(e).toMatchObject({ code: 'E_USAGE' });
    expect((e as Error).message).toMatch(/^paper key line 5: /);
  });

  test('the paper key with its lines typed in upper case and without spaces still opens', async () => {
    const typed = readFileSync(join(c.dir, c.expected.paper_key!), 'utf8').split('\n').map((l) => l.replace(/ /g, '').toUpperCase()).join('\n');
    const p = join(work, 'typed.txt');
    writeFileSync(p, typed.replace('ID:', 'id:'));
    expect((await open({ keyfile: p })).archives).toHaveLength(c.expected.list.archives.length);
  });

  test('BORG_KEY_FILE, and the keys folder as borg searches it (BORG_KEYS_DIR, ~/.config/borg/keys)', async () => {
    expect((await open({}, { BORG_KEY_FILE: keyfile })).archives).toHaveLength(1);
    const keys = join(work, 'keys');
    mkdirSync(keys, { recursive: true });
    writeFileSync(join(keys, 'other'), 'BORG_KEY 00\n');
    copyFileSync(keyfile, join(keys, 'some_name'));
    expect((await open({}, { BORG_KEYS_DIR: keys })).key).toBe(join(keys, 'some_name'));
    const base = join(work, 'base');
    mkdirSync(join(base, '.config/borg/keys'), { recursive: true });
    copyFileSync(keyfile, join(base, '.config/borg/keys/k'));
    expect((await open({}, { BORG_BASE_DIR: base })).key).toBe(join(base, '.config/borg/keys/k'));
  });

  test('no key anywhere: a usage error that says where it looked', async () => {
    const e = await open({}).catch((x: unknown) => x as Error);
    expect(e).toMatchObject({ code: 'E_USAGE' });
    expect((e as Error).message).toMatch(/no key file for repository [0-9a-f]{64}: looked in BORG_KEY_FILE \(not set\) and .*\/\.config\/borg\/keys \(no such folder\); give it with --keyfile/);
  });

  test("another repository's key is refused by its id", async () => {
    const other = cases.find((x) => x.name === 'keyfile-blake2-auto')!;
    const e = await open({ keyfile: join(other.dir, 'keyfile') }).catch((x: unknown) => x as Error);
    expect((e as Error).message).toMatch(/is the key of repository [0-9a-f]{64}, not of this one/);
  });
});
