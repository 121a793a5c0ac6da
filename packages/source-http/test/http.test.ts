// Backups read over HTTP from a real server on 127.0.0.1 (test/_server.ts) that counts the bytes it
// sends: info and extract --vm read a small part of a 13 MiB multi-VM backup, a server that drops
// the connection every few MiB or takes no ranges still gives byte-identical restores, and a file
// replaced during a restore fails naming the URL.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@qubes-backup/cli';
import { defaultRegistry } from '@qubes-backup/all/node';
import { extract, inspect } from '@qubes-backup/restore';
import { OURS, fileDigests, randomBytes, readOuter, v4Chunk, writeOuter, type OuterMember } from '@qubes-backup/testkit';
import { serve, type TestServer } from './_server.js';

const MiB = 2 ** 20;
/** v4-templates-root's backup-id (its backup-header): a chunk's scrypt passphrase is `<id>!<name>!<passphrase>`. */
const BACKUP_ID = '20240612T131500-7373';

let work = '';
let backup: Uint8Array;
let members: OuterMember[];
let localFile = '';
let server: TestServer | undefined;

/**
 * v4-templates-root (TemplateVM `my-template` = vm6, StandaloneVM `standalone` = vm7, dom0 home;
 * stored uncompressed) with standalone's root.img replaced by 12 MiB of random bytes, forged with
 * the fixture's passphrase: big enough that 1 % of it is more than a format's first look.
 */
async function bigBackup(): Promise<{ bytes: Uint8Array; members: OuterMember[] }> {
  const ms = await readOuter(defaultRegistry(), new Uint8Array(readFileSync(join(OURS, 'v4-templates-root', 'backup.bin'))));
  const root = ms.find((m) => m.name === 'vm7/root.img.000.enc');
  if (!root) throw new Error('fixture changed: no vm7/root.img.000.enc');
  const inner = writeOuter([{ name: 'vm7/root.img', data: randomBytes(12 * MiB, 12) }]);
  root.data = v4Chunk(inner, { backupId: BACKUP_ID, stem: 'vm7/root.img.000' });
  return { bytes: writeOuter(ms), members: ms };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'qbt-http-'));
  ({ bytes: backup, members } = await bigBackup());
  localFile = join(work, 'backup.bin');
  writeFileSync(localFile, backup);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = ''; err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  process.env['QUBES_BACKUP_PASSPHRASE'] = 'qubes';
});
afterEach(async () => {
  jest.restoreAllMocks();
  delete process.env['QUBES_BACKUP_PASSPHRASE'];
  await server?.close();
  server = undefined;
});

const options = () => ({ registry: defaultRegistry(), passphrase: 'qubes' });


let localTrees: Map<string, Record<string, string>> | undefined;
/** The local restore of the same selection, to compare with. */
async function localTree(vms: string[]): Promise<Record<string, string>> {
  localTrees ??= new Map();
  const key = vms.join(',');
  if (!localTrees.has(key)) {
    const dest = mkdtempSync(join(work, 'local-'));
    await extract(localFile, { ...options(), dest, ...(vms.length ? { units: vms } : {}) });
    localTrees.set(key, fileDigests(dest));
  }
  return localTrees.get(key)!;
}

/** Bytes the outer tar holds for a VM: each member's header and padded data. */
function bytesOf(prefix: string): number {
  return members.filter((m) => m.name.startsWith(prefix)).reduce((n, m) => n + 512 + Math.ceil(m.data.length / 512) * 512, 0);
}

describe('http:// sources', () => {
  test('info of a 13 MiB multi-VM backup transfers under 1 % of it, and --json says how much', async () => {
    server = await serve(backup);
    expect(await main(['info', server.url, '--json'])).toBe(0);
    const info = JSON.parse(out) as { backup: { units: { name: string }[] }; transferred: number };
    expect(info.backup.units.map((u) => u.name)).toEqual(expect.arrayContaining(['my-template', 'standalone', 'dom0']));
    expect(server.served).toBeLessThan(backup.length * 0.01);
    expect(info.transferred).toBe(server.served);
    let size: number | undefined;
    const local = await inspect(localFile, { ...options(), onSize: (n) => { size = n; } });
    expect(size).toBe(backup.length);
    size = undefined;
    await inspect(server.url, { ...options(), onSize: (n) => { size = n; } });
    // The progress bar's total for a URL: known only once the first answer came.
    expect(size).toBe(backup.length);
    expect(info.transferred).toBeGreaterThan(0);
    // A local file's info also surveys its members (one request each over HTTP, so not for a URL); here it found them all.
    const { survey, ...surveyed } = local.info as typeof local.info & { survey?: unknown };
    expect(survey).toEqual({});
    expect(info.backup).toEqual(JSON.parse(JSON.stringify(surveyed)));
  });

  test('extract --vm transfers at most 1.05 × its members + 1 MiB, and restores what a local extract does', async () => {
    server = await serve(backup);
    const dest = join(work, 'vm6');
    expect(await main(['extract', server.url, '--vm', 'my-template', '--dest', dest])).toBe(0);
    expect(fileDigests(dest)).toEqual(await localTree(['my-template']));
    const limit = 1.05 * bytesOf('vm6/') + MiB;
    expect(server.served).toBeLessThanOrEqual(limit);

    // The big VM: its members are nearly the whole backup.
    await server.close();
    server = await serve(backup);
    const dest7 = join(work, 'vm7');
    expect(await main(['extract', server.url, '--vm', 'standalone', '--dest', dest7])).toBe(0);
    expect(fileDigests(dest7)).toEqual(await localTree(['standalone']));
    expect(server.served).toBeLessThanOrEqual(1.05 * bytesOf('vm7/') + MiB);
  }, 60_000);

  test('a server that drops the connection every 3 MiB still gives a byte-identical restore', async () => {
    server = await serve(backup, { cutEvery: 3 * MiB });
    const dest = join(work, 'cut');
    await extract(server.url, { ...options(), dest });
    expect(fileDigests(dest)).toEqual(await localTree([]));
    expect(server.requests).toBeGreaterThan(4);
  }, 60_000);

  test('a server without Range support is read once, from the start, like a pipe', async () => {
    server = await serve(backup, { noRange: true });
    const dest = join(work, 'norange');
    await extract(server.url, { ...options(), dest });
    expect(fileDigests(dest)).toEqual(await localTree([]));
    // One pass: the probe's answer is the stream the restore reads.
    expect(server.requests).toBe(1);
    expect(server.served).toBe(backup.length);
  }, 60_000);

  test('a server without Range support that drops the connection is asked again, the bytes already read skipped', async () => {
    server = await serve(backup, { noRange: true, cutEvery: 5 * MiB, maxCuts: 1 });
    const dest = join(work, 'norange-cut');
    await extract(server.url, { ...options(), dest });
    expect(fileDigests(dest)).toEqual(await localTree([]));
  }, 60_000);

  test.each([
    ['ETag', false],
    ['Last-Modified', true],
  ])('a file replaced mid-restore is reported as changed (%s)', async (_, noEtag) => {
    const replacement = new Uint8Array(backup);
    replacement[replacement.length - 5000]! ^= 1;
    server = await serve(backup, { replaceAfter: 2 * MiB, replacement, noEtag });
    const dest = join(work, `changed-${String(noEtag)}`);
    expect(await main(['extract', server.url, '--dest', dest])).toBe(4);
    expect(err).toContain(`'${server.url}' changed on the server`);
  }, 60_000);

  test('credentials come from the environment or a file, never from the URL', async () => {
    server = await serve(backup, { authorization: 'Bearer s3cret' });
    expect(await main(['info', server.url])).toBe(4);
    expect(err).toMatch(/401.*QUBES_BACKUP_HTTP_TOKEN/);

    process.env['QUBES_BACKUP_HTTP_TOKEN'] = 's3cret';
    try {
      expect(await main(['info', server.url, '--json'])).toBe(0);
    } finally {
      delete process.env['QUBES_BACKUP_HTTP_TOKEN'];
    }
    const file = join(work, 'auth');
    writeFileSync(file, 'Bearer s3cret\n', { mode: 0o600 });
    err = '';
    expect(await main(['info', server.url, '--http-auth-file', file])).toBe(0);

    err = '';
    expect(await main(['info', server.url.replace('http://', 'http://me:s3cret@')])).toBe(1);
    expect(err).toMatch(/credentials in the URL are refused/);
    expect(err).not.toContain('s3cret');
  }, 30_000);

  test('Basic credentials from QUBES_BACKUP_HTTP_USER and _PASSWORD', async () => {
    server = await serve(backup, { authorization: `Basic ${Buffer.from('me:pässword').toString('base64')}` });
    process.env['QUBES_BACKUP_HTTP_USER'] = 'me';
    process.env['QUBES_BACKUP_HTTP_PASSWORD'] = 'pässword';
    try {
      await expect(inspect(server.url, options())).resolves.toMatchObject({ info: { format: 'v4' } });
    } finally {
      delete process.env['QUBES_BACKUP_HTTP_USER'];
      delete process.env['QUBES_BACKUP_HTTP_PASSWORD'];
    }
  });

  test('TLS certificates are always verified: a self-signed server is refused, and turning checks off is refused', async () => {
    const dir = mkdtempSync(join(work, 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    server = await serve(backup, { tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') } });
    expect(await main(['info', server.url])).toBe(4);
    expect(err).toMatch(/cannot reach 'https:\/\/127\.0\.0\.1:\d+\/backup\.bin'.*(certificate|self.signed)/i);
    expect(server.served).toBe(0);

    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    err = '';
    try {
      expect(await main(['info', server.url])).toBe(1);
    } finally {
      delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    }
    expect(err).toMatch(/NODE_TLS_REJECT_UNAUTHORIZED=0 would turn off TLS certificate checks/);
    expect(server.served).toBe(0);
  });

  test('a server that sends ranges of a gzipped form of the file (Content-Encoding: gzip) is refused, not decoded into wrong bytes', async () => {
    server = await serve(backup, { gzipStatic: true });
    await expect(inspect(server.url, options())).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining('byte ranges of a compressed form (Content-Encoding: gzip)') });
  });

  test('a server busy at the first request (503 with Retry-After) is asked again, as every range is', async () => {
    server = await serve(backup, { busy: { count: 2, retryAfter: '1' } });
    const { info } = await inspect(server.url, options());
    expect(info.format).toBe('v4');
    expect(server.requests).toBeGreaterThan(2);
  }, 30_000);

  test("a query's values (a presigned URL's signature) are never shown: not by info, not in --json, not in errors", async () => {
    server = await serve(backup);
    const url = `${server.url}?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=s3cr3t`;
    expect(await main(['info', url])).toBe(0);
    expect(await main(['info', url, '--json'])).toBe(0);
    await server.close();
    expect(await main(['info', url])).not.toBe(0);
    expect(`${out}${err}`).toContain('X-Amz-Signature=…');
    expect(`${out}${err}`).not.toMatch(/s3cr3t|AKIAEXAMPLE/);
  }, 30_000);

  test('a redirect from https to plain http is refused', async () => {
    const real = globalThis.fetch;
    globalThis.fetch = (async () => {
      const res = new Response(new Uint8Array(16), { status: 206, headers: { 'content-range': 'bytes 0-15/16' } });
      Object.defineProperty(res, 'url', { value: 'http://elsewhere.example/backup.bin' });
      return res;
    }) as typeof fetch;
    try {
      await expect(inspect('https://backups.example/backup.bin', options())).rejects.toMatchObject({
        code: 'E_IO', message: expect.stringContaining("redirected to 'http://elsewhere.example/backup.bin', which is not https: refused"),
      });
    } finally {
      globalThis.fetch = real;
    }
  });

  test('a missing file and an unknown scheme fail with one line naming the URL', async () => {
    server = await serve(backup);
    const missing = server.url.replace('backup.bin', 'nothing.bin');
    await server.close();
    server = undefined;
    expect(await main(['info', missing])).toBe(4);
    expect(err).toMatch(new RegExp(`cannot reach '${missing.replace(/[.]/g, '\\.')}'`));
    err = '';
    expect(await main(['info', 'gopher://127.0.0.1/backup.bin'])).toBe(3);
    expect(err).toMatch(/no source plugin reads gopher:\/\/ URLs \(known: http, https/);
  });

  test('REPO::ARCHIVE splits after the host, so URLs name one archive of a repository', async () => {
    server = await serve(backup);
    // A Qubes backup has no archives: the name after '::' selects a unit like --vm.
    const dest = join(work, 'unit');
    expect(await main(['extract', `${server.url}::my-template`, '--dest', dest])).toBe(0);
    expect(statSync(dest).isDirectory()).toBe(true);
    expect(Object.keys(fileDigests(dest)).length).toBeGreaterThan(0);
  }, 30_000);
});
