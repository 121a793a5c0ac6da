// A modified Wyng archive fails with one line naming what is wrong (the volume, the session, the
// chunk or metadata file), and leaves no complete-looking image behind.
import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, verify } from '@qubes-backup/restore';
import { fixtures, registry, type WyngFixture } from './_wyng.js';

const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-adv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A writable copy of a fixture's archive. */
function copyOf(f: WyngFixture, tag: string): string {
  const dir = join(work, `${f.name}-${tag}`);
  cpSync(f.archive, dir, { recursive: true });
  const writable = (p: string): void => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) writable(join(p, e));
  };
  writable(dir);
  return dir;
}

function flip(path: string, at: number): void {
  const b = readFileSync(path);
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ 0x01;
  writeFileSync(path, b);
}

/** Each volume's folder and its sessions' folders, oldest first. */
const dirs = (a: string) => readdirSync(a).filter((d) => d.startsWith('Vol_')).sort()
  .map((vid) => ({ vid, sessions: readdirSync(join(a, vid)).filter((d) => d.startsWith('S_')).sort() }));
const CHUNK = ['000000000', 'x0000000000600000'];
/** The volumes whose last session stored a chunk at x…600000 (every private volume of the fixtures). */
const withChunk = (a: string) => dirs(a).filter((d) => existsSync(join(a, d.vid, d.sessions.at(-1)!, ...CHUNK)));
const lastDir = (a: string, d: { vid: string; sessions: string[] }) => join(a, d.vid, d.sessions.at(-1)!);

async function run(archive: string, f: WyngFixture, dest: string): Promise<unknown> {
  return extract(archive, { registry: registry(), dest, ...(f.manifest.passphrase !== null ? { passphrase: f.manifest.passphrase } : {}) }).then(
    () => undefined, (e: unknown) => e);
}

/** No image, nor a partial one, left under the destination. */
function imagesIn(dest: string): string[] {
  if (!existsSync(dest)) return [];
  const out: string[] = [];
  const walk = (d: string): void => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : out.push(e.name); };
  walk(dest);
  return out.filter((n) => n.includes('.img'));
}

const plain = fixtures.find((f) => f.manifest.passphrase === null);
const describePlain = plain ? describe : describe.skip;

describePlain('an unencrypted archive (blake2b hashes)', () => {
  const f = plain!;
  const cases: [string, (archive: string, vid: string, last: string) => void, string, RegExp][] = [
    ['a flipped byte in a chunk', (a, vid, last) => flip(join(a, vid, last, '000000000', 'x0000000000600000'), 7), 'E_CORRUPT',
      /^volume '.+', session \d{8}-\d{6}, chunk x0000000000600000: hash mismatch/],
    ['a missing chunk', (a, vid, last) => unlinkSync(join(a, vid, last, '000000000', 'x0000000000600000')), 'E_CORRUPT',
      /^volume '.+', session \d{8}-\d{6}, chunk x0000000000600000: missing/],
    ['a chunk of another address in its place', (a, vid, last) => copyFileSync(join(a, vid, last, '000000000', 'x0000000000000000'), join(a, vid, last, '000000000', 'x0000000000600000')),
      'E_CORRUPT', /^volume '.+', session \d{8}-\d{6}, chunk x0000000000600000: hash mismatch/],
    ['a flipped byte in a manifest', (a, vid, last) => flip(join(a, vid, last, 'manifest.z'), 10), 'E_CORRUPT',
      /^volume '.+', session \d{8}-\d{6}: Vol_\w+\/S_[\d-]+\/manifest\.z: modified or replaced/],
    ['a flipped byte in a session info', (a, vid, last) => flip(join(a, vid, last, 'info'), 10), 'E_CORRUPT',
      /^volume '.+', session \d{8}-\d{6}: Vol_\w+\/S_[\d-]+\/info: modified or replaced/],
    ['a flipped byte in volinfo', (a, vid) => flip(join(a, vid, 'volinfo'), 10), 'E_CORRUPT', /^Vol_\w+\/volinfo: modified or replaced/],
    ['a flipped byte in archive.ini', (a) => flip(join(a, 'archive.ini'), 40), 'E_CORRUPT', /^archive\.ini: /],
  ];
  test.each(cases)('%s: one line naming it, no image left', async (_what, mutate, code, message) => {
    const archive = copyOf(f, String(cases.findIndex((c) => c[0] === _what)));
    const { vid, sessions } = withChunk(archive)[0]!;
    mutate(archive, vid, sessions.at(-1)!);
    const dest = join(archive, '..', `${archive.split('/').pop()}-out`);
    const e = await run(archive, f, dest) as Error & { code?: string };
    expect(e).toBeInstanceOf(Error);
    expect({ code: e.code, message: e.message }).toEqual({ code, message: expect.stringMatching(message) });
    expect(e.message).not.toContain('\n');
    expect(imagesIn(dest)).toEqual([]);
  }, 60_000);
});

describePlain('verify checks every session; extract only what it restores, unless --all-sessions', () => {
  test('a flipped byte in a chunk a later session replaced: unseen by extract of the newest image, found by verify and by extract --all-sessions', async () => {
    const f = plain!;
    const archive = copyOf(f, 'replaced');
    const d = withChunk(archive)[0]!;
    // The first session's x…600000, which the last session stored again.
    flip(join(archive, d.vid, d.sessions[0]!, ...CHUNK), 9);
    const dest = mkdtempSync(join(tmpdir(), 'qbt-wyng-all-'));
    try {
      expect((await extract(archive, { registry: registry(), dest })).ok).toBe(true);
      const message = expect.stringMatching(new RegExp(`^volume '.+', session ${d.sessions[0]!.slice(2)}, chunk x0000000000600000: hash mismatch`));
      expect(await verify(archive, { registry: registry() }).then(() => undefined, (x: unknown) => x)).toMatchObject({ code: 'E_CORRUPT', message });
      const all = await extract(archive, { registry: registry(), dest: join(dest, 'all'), settings: { 'all-sessions': true } }).then(() => undefined, (x: unknown) => x);
      expect(all).toMatchObject({ code: 'E_CORRUPT', message });
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  }, 60_000);
});

const encrypted = fixtures.find((f) => f.manifest.passphrase !== null);
const describeEncrypted = encrypted ? describe : describe.skip;

describeEncrypted('an encrypted archive (authenticated metadata, HMAC-SHA256 chunk hashes)', () => {
  const f = encrypted!;
  const cases: [string, (archive: string) => void, string, RegExp][] = [
    ['a flipped byte in a chunk', (a) => flip(join(lastDir(a, withChunk(a)[0]!), ...CHUNK), 40), 'E_AUTH',
      /^volume 'vm-\w+-private', session \d{8}-\d{6}, chunk x0000000000600000: hash mismatch/],
    ['a chunk of another volume in its place', (a) => {
      const [one, other] = withChunk(a);
      copyFileSync(join(lastDir(a, other!), ...CHUNK), join(lastDir(a, one!), ...CHUNK));
    }, 'E_AUTH', /^volume 'vm-\w+-private', session \d{8}-\d{6}, chunk x0000000000600000: hash mismatch/],
    ['a flipped byte in a manifest', (a) => flip(join(lastDir(a, withChunk(a)[0]!), 'manifest.z'), -3), 'E_AUTH',
      /^volume 'vm-\w+-private', session \d{8}-\d{6}: Vol_\w+\/S_[\d-]+\/manifest\.z: modified/],
    ['a flipped byte in volinfo', (a) => flip(join(a, withChunk(a)[0]!.vid, 'volinfo'), -3), 'E_AUTH', /^Vol_\w+\/volinfo: modified/],
    ['a flipped byte in archive.ini', (a) => flip(join(a, 'archive.ini'), -3), 'E_AUTH', /^archive\.ini: modified: .*the passphrase is right/],
  ];
  test.each(cases)('%s: one line naming it, no image left', async (what, mutate, code, message) => {
    const archive = copyOf(f, `enc-${cases.findIndex((c) => c[0] === what)}`);
    mutate(archive);
    const dest = join(archive, '..', `${archive.split('/').pop()}-out`);
    const e = await run(archive, f, dest) as Error & { code?: string };
    expect(e).toBeInstanceOf(Error);
    expect({ code: e.code, message: e.message }).toEqual({ code, message: expect.stringMatching(message) });
    expect(e.message).not.toContain('\n');
    // A qube restored before the failing one keeps its (verified) image; the failing one has none.
    const qube = /^volume 'vm-(\w+)-private'|^(Vol_\w+|archive\.ini)/.exec(e.message)!;
    expect(imagesIn(qube[1] ? join(dest, qube[1]) : dest)).toEqual([]);
  }, 120_000);
});
