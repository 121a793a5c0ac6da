import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { findChromium, launch } from './chromium.js';
import { answerSavePicker, openBackup, saveFolderZipFromTree, saveFromTree, readJson, recordRequests, removeSavePicker, savedFileBytes, savedFileSha256, sha256 } from './page-helpers.js';
import { dosDateTime, pythonRead, unzip, zipReadersMissing, type ReadEntry } from './zip-readers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTML = join(ROOT, 'dist/qubes-backup.html');
const PAGE_URL = pathToFileURL(HTML).href;
const V4 = join(ROOT, 'test-fixtures/v4-sample');
const BORG = join(ROOT, 'test-fixtures/borg/repokey-lz4');
const FILES = join(ROOT, 'test-fixtures/v4-files');
/** More Qubes backups (zstd, logN 20) live beside the repository on developer machines, not in a fresh clone. */
const SHARED = join(ROOT, '../shared/fixtures/qubes');

interface ImageContent { path: string; type: string; mode: number; mtime: number; sha256?: string; target?: string }
interface V4Manifest {
  passphrase: string; backup_file: string; scrypt: { logN: number };
  files: { path: string; sha256?: string; image?: { contents: ImageContent[] } }[];
}
/** The sha256 the manifest gives for `path` inside `image` (`work/private.img`). */
const inImage = (m: V4Manifest, image: string, path: string): string =>
  m.files.find((f) => f.path === image)!.image!.contents.find((c) => c.path === path)!.sha256!;
const v4 = readJson<V4Manifest>(join(V4, 'manifest.json'));
const v4Image = v4.files.find((f) => f.path === 'work/private.img')!.sha256!;

const browserAt = findChromium();
const withBrowser = browserAt.path && existsSync(HTML) ? describe : describe.skip;
if (!browserAt.path) console.warn(`page tests skipped: ${browserAt.reason}`);
else if (!existsSync(HTML)) console.warn(`page tests skipped: ${HTML} is missing (npm run build makes it)`);

withBrowser('qubes-backup.html from file:// in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(browserAt.path!); });
  afterAll(async () => { await browser?.close(); });

  /** A fresh page (own context: own storage, own downloads), with the save dialog answered or removed. */
  async function newPage(picker: 'answered' | 'removed'): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true });
    const requests = recordRequests(context, PAGE_URL);
    const page = await context.newPage();
    await (picker === 'answered' ? answerSavePicker(page) : removeSavePicker(page));
    await page.goto(PAGE_URL);
    return { page, requests };
  }

  /** The table row whose first cell (the VM or archive name) is `name`; a template's name also appears in other rows. */
  const row = (page: Page, name: string) => page.locator('tbody tr')
    .filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });

  test('the file is one self-contained page under 3 MB', () => {
    const html = readFileSync(HTML, 'utf8');
    expect(html.length).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain("connect-src 'none'");
  });

  test(`v4 (scrypt logN ${v4.scrypt.logN}): lists VMs, saves private.img through the save dialog, makes no request`, async () => {
    expect(v4.scrypt.logN).toBeGreaterThanOrEqual(14);
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(V4, v4.backup_file), v4.passphrase);
    const work = row(page, 'work');
    await expect(work.getByRole('cell').nth(1).textContent()).resolves.toBe('AppVM');
    // An AppVM's root volume is its template's: the backup has no root.img for it.
    expect(await work.getByRole('button', { name: 'Save root.img' }).count()).toBe(0);
    await work.getByRole('button', { name: 'Save private.img' }).click();
    expect(await savedFileSha256(page, 'work-private.img')).toBe(v4Image);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    // Every key was derived in a worker, by the WebAssembly scrypt.
    const derivations = await page.evaluate(() => (globalThis as unknown as { qubesBackupPage: { derivations: { N: number; engine: string }[] } }).qubesBackupPage.derivations);
    expect(derivations.length).toBeGreaterThanOrEqual(2);
    expect(derivations.every((d) => d.engine === 'wasm' && d.N === 2 ** v4.scrypt.logN)).toBe(true);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('one opened backup, several actions: private.img saved twice, then a file of dom0\'s home', async () => {
    const { page } = await newPage('answered');
    await openBackup(page, join(V4, v4.backup_file), v4.passphrase);
    for (let i = 0; i < 2; i++) {
      await page.evaluate(() => (window as unknown as { saved: Map<string, Uint8Array> }).saved.delete('work-private.img'));
      await row(page, 'work').getByRole('button', { name: 'Save private.img' }).click();
      expect(await savedFileSha256(page, 'work-private.img')).toBe(v4Image);
    }
    await row(page, 'dom0').getByRole('button', { name: 'Browse files' }).click();
    await saveFromTree(page, ['user'], '.bash_history');
    expect(await savedFileSha256(page, '.bash_history')).toBe(v4.files.find((f) => f.path === 'dom0-home/user/.bash_history')!.sha256);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    await page.context().close();
  }, 120_000);

  test('a backup cut short: an alert says so, and the rows say which VMs lack data', async () => {
    const cut = join(mkdtempSync(join(tmpdir(), 'web-cut-')), 'cut.bin');
    writeFileSync(cut, readFileSync(join(V4, v4.backup_file)).subarray(0, 40000));
    const { page, requests } = await newPage('answered');
    await openBackup(page, cut, v4.passphrase);
    await row(page, 'work').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/ends early or is damaged.*truncated/);
    expect(await row(page, 'work').getByRole('cell').last().textContent()).toMatch(/^missing: members after the cut/);
    expect(await row(page, 'dom0').getByRole('cell').last().textContent()).toBe('its data is missing from this backup');
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('v4 without the File System Access API: private.img comes as a download', async () => {
    const { page, requests } = await newPage('removed');
    await openBackup(page, join(V4, v4.backup_file), v4.passphrase);
    await row(page, 'work').waitFor();
    expect(await page.getByText(/files up to about 2(\.0)? GiB/).isVisible()).toBe(true);
    const download = page.waitForEvent('download');
    await row(page, 'work').getByRole('button', { name: 'Save private.img' }).click();
    const path = await (await download).path();
    expect(sha256(readFileSync(path))).toBe(v4Image);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('a wrong passphrase is reported in an alert that says so', async () => {
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(V4, v4.backup_file), 'not the passphrase');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/passphrase/i);
    expect(await page.getByRole('table').isVisible()).toBe(false);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('a damaged chunk is reported in an alert that names the member', async () => {
    // One byte flipped inside vm5/private.img.000.enc's data (its tar header is the 512 bytes before).
    const bytes = new Uint8Array(readFileSync(join(V4, v4.backup_file)));
    const at = Buffer.from(bytes).indexOf('vm5/private.img.000.enc');
    expect(at).toBeGreaterThan(0);
    bytes[at + 512 + 300]! ^= 0x01;
    const damaged = join(mkdtempSync(join(tmpdir(), 'web-damaged-')), 'backup.bin');
    writeFileSync(damaged, bytes);
    const { page, requests } = await newPage('answered');
    await openBackup(page, damaged, v4.passphrase);
    await row(page, 'work').getByRole('button', { name: 'Save private.img' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/damaged/i);
    expect(text).toContain('vm5/private.img');
    expect(await page.evaluate(() => (window as unknown as { saved: Map<string, Uint8Array> }).saved.size)).toBe(0);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  const logN20 = join(SHARED, 'v4-scrypt-logN20');
  (existsSync(logN20) ? test : test.skip)('progress and Cancel while a logN-20 key is derived (../shared fixture)', async () => {
    const m = readJson<{ passphrase: string; backup_file: string }>(join(logN20, 'manifest.json'));
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(logN20, m.backup_file), m.passphrase);
    const bar = page.getByRole('progressbar');
    await bar.waitFor();
    expect(await bar.getAttribute('aria-valuenow')).not.toBeNull();
    expect(await page.locator('#progress-text').textContent()).toMatch(/checking the passphrase/i);
    // The page stays responsive while the worker derives: typing works, and Cancel stops the step.
    await page.getByLabel('Passphrase').fill('typed while deriving');
    await page.getByRole('button', { name: 'Cancel' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Cancelled.');
    expect(await page.getByRole('table').isVisible()).toBe(false);
    expect(await bar.isVisible()).toBe(false);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  const zstdDir = join(SHARED, 'v4-zstd');
  (existsSync(zstdDir) ? test : test.skip)('v4 with zstd (../shared fixture): decoded without fetching zstd\'s WebAssembly', async () => {
    // codec-zstd's zstddec fetches its WebAssembly from a data: URL, which the page's CSP refuses:
    // the codec falls back to fzstd, and the refused fetch must not count as a request.
    interface SharedManifest { passphrase: string; backup_file: string; vms: { name: string; files?: { path: string; sha256?: string }[] }[] }
    const m = readJson<SharedManifest>(join(zstdDir, 'manifest.json'));
    const vm = m.vms.find((v) => v.files?.some((f) => f.path.endsWith('/private.img')))!;
    const want = vm.files!.find((f) => f.path.endsWith('/private.img'))!.sha256!;
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(zstdDir, m.backup_file), m.passphrase);
    await row(page, vm.name).getByRole('button', { name: 'Save private.img' }).click();
    expect(await savedFileSha256(page, `${vm.name}-private.img`)).toBe(want);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  // The shared set's v3 backup, kept in the repository (test-fixtures/independent) so that CI runs it.
  const v3Dir = join(ROOT, 'test-fixtures/independent/v3-encrypted-gzip');
  test('v3 (openssl enc, made by an independent generator): lists VMs and saves private.img', async () => {
    interface SharedManifest { passphrase: string; backup_file: string; vms: { name: string; files?: { path: string; sha256?: string }[] }[] }
    const m = readJson<SharedManifest>(join(v3Dir, 'manifest.json'));
    const want = m.vms.find((v) => v.name === 'work')!.files!.find((f) => f.path.endsWith('/private.img'))!.sha256!;
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(v3Dir, m.backup_file), m.passphrase);
    await row(page, 'personal').waitFor();
    expect(await row(page, 'my-template').getByRole('button', { name: 'Save root.img' }).count()).toBe(1);
    await row(page, 'work').getByRole('button', { name: 'Save private.img' }).click();
    expect(await savedFileSha256(page, 'work-private.img')).toBe(want);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('a Borg repository folder: lists its archives and saves one file of an archive', async () => {
    interface BorgExpected { passphrase: string; archives: { name: string; files: { path: string; type: string; sha256?: string }[] }[] }
    const m = readJson<BorgExpected>(join(BORG, 'expected.json'));
    const want = m.archives.find((a) => a.name === 'second')!.files.find((f) => f.path === 'home/user/notes.txt')!.sha256!;
    const { page, requests } = await newPage('answered');
    await page.getByLabel('Borg repository folder').setInputFiles(join(BORG, 'repo'));
    await page.getByLabel('Passphrase').fill(m.passphrase);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await row(page, 'first').waitFor();
    await row(page, 'second').getByRole('button', { name: 'Browse files' }).click();
    await saveFromTree(page, ['home', 'user'], 'notes.txt');
    expect(await savedFileSha256(page, 'notes.txt')).toBe(want);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('Browse files: the tree of a VM\'s private.img (ext4) and one file saved from it', async () => {
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(V4, v4.backup_file), v4.passphrase);
    await row(page, 'work').getByRole('button', { name: 'Browse files' }).click();
    await saveFromTree(page, ['home', 'user', 'Documents'], 'recovered.txt');
    expect(await savedFileSha256(page, 'recovered.txt')).toBe(inImage(v4, 'work/private.img', 'home/user/Documents/recovered.txt'));
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('the screenshot for the README (docs/web-restorer.png with QUBES_WEB_SCREENSHOT=1, else out/)', async () => {
    const { page } = await newPage('answered');
    await page.setViewportSize({ width: 820, height: 640 });
    await openBackup(page, join(V4, v4.backup_file), v4.passphrase);
    await row(page, 'work').getByRole('button', { name: 'Browse files' }).click();
    const tree = page.getByRole('tree');
    for (const name of ['home', 'user', 'Documents']) {
      const item = tree.getByRole('treeitem', { name, exact: true }).first();
      await item.getByRole('button').first().click();
      await item.getByRole('group').first().waitFor();
    }
    await page.getByLabel('Passphrase').fill('');
    const path = process.env.QUBES_WEB_SCREENSHOT === '1' ? join(ROOT, 'docs/web-restorer.png') : join(ROOT, 'out/web-restorer.png');
    const png = await page.screenshot({ path, fullPage: true });
    expect(png.length).toBeLessThan(200 * 1024);
    await page.context().close();
  }, 120_000);

  test('Browse files on v4-files: a 5 MiB file, a file with holes, an htree folder, a Cyrillic folder', async () => {
    const m = readJson<V4Manifest>(join(FILES, 'manifest.json'));
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(FILES, m.backup_file), m.passphrase);
    await row(page, 'work').getByRole('button', { name: 'Browse files' }).click();
    for (const path of ['home/user/Videos/big-log.txt', 'home/user/sparse-inside.bin', 'home/user/many/file-299.txt', 'home/user/Документы/zażółć.txt']) {
      const names = path.split('/');
      const file = names.pop()!;
      await saveFromTree(page, names, file);
      expect(await savedFileSha256(page, file)).toBe(inImage(m, 'work/private.img', path));
    }
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  (zipReadersMissing ? test.skip : test)('Browse files on v4-files: home/user saved as one zip, read back by unzip and Python zipfile', async () => {
    const m = readJson<V4Manifest>(join(FILES, 'manifest.json'));
    const { page, requests } = await newPage('answered');
    await openBackup(page, join(FILES, m.backup_file), m.passphrase);
    await row(page, 'work').getByRole('button', { name: 'Browse files' }).click();
    const started = Date.now();
    await saveFolderZipFromTree(page, ['home'], 'user');
    const bytes = await savedFileBytes(page, 'user.zip');
    const seconds = (Date.now() - started) / 1000;
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    expect(await page.getByRole('progressbar').isVisible()).toBe(false);
    const path = join(mkdtempSync(join(tmpdir(), 'web-zip-')), 'user.zip');
    writeFileSync(path, bytes);
    expect(unzip(['-t'], path)).toMatch(/No errors detected/);
    // Every file, folder and symlink the fixture put below home/user, as the manifest lists it:
    // contents (a symlink's is its target), Unix type and mode, modification time.
    const want: Record<string, ReadEntry> = {};
    const userDir = m.files.find((f) => f.path === 'work/private.img')!.image!.contents.find((c) => c.path === 'home/user')!;
    for (const c of [userDir, ...m.files.find((f) => f.path === 'work/private.img')!.image!.contents.filter((x) => x.path.startsWith('home/user/'))]) {
      const name = c.path.slice('home/'.length) + (c.type === 'dir' ? '/' : '');
      const type = c.type === 'dir' ? 0o040000 : c.type === 'symlink' ? 0o120000 : 0o100000;
      const data = c.type === 'file' ? c.sha256! : sha256(c.type === 'symlink' ? Buffer.from(c.target!) : new Uint8Array(0));
      want[name] = { sha256: data, mode: type | (c.mode & 0o7777), dateTime: dosDateTime(c.mtime) };
    }
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(py.entries).toEqual(want);
    console.log(`user.zip: ${Object.keys(want).length} entries, ${bytes.length} bytes, saved in ${seconds.toFixed(1)} s`);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  (zipReadersMissing ? test.skip : test)('a Borg archive\'s home/user as a zip, by download (no File System Access API)', async () => {
    interface BorgFile { path: string; type: string; mode: number; mtime_ns: number; sha256?: string; target?: string }
    const m = readJson<{ passphrase: string; archives: { name: string; files: BorgFile[] }[] }>(join(BORG, 'expected.json'));
    const files = m.archives.find((a) => a.name === 'second')!.files;
    const { page, requests } = await newPage('removed');
    await page.getByLabel('Borg repository folder').setInputFiles(join(BORG, 'repo'));
    await page.getByLabel('Passphrase').fill(m.passphrase);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await row(page, 'second').getByRole('button', { name: 'Browse files' }).click();
    const download = page.waitForEvent('download');
    await saveFolderZipFromTree(page, ['home'], 'user');
    const got = await download;
    expect(got.suggestedFilename()).toBe('user.zip');
    const path = await got.path();
    expect(unzip(['-t'], path)).toMatch(/No errors detected/);
    // A fifo has no place in a zip and is left out; a hardlink's second name holds the same bytes.
    const want: Record<string, ReadEntry> = {};
    for (const f of files.filter((x) => (x.path === 'home/user' || x.path.startsWith('home/user/')) && x.type !== 'fifo')) {
      const name = f.path.slice('home/'.length) + (f.type === 'dir' ? '/' : '');
      const type = f.type === 'dir' ? 0o040000 : f.type === 'symlink' ? 0o120000 : 0o100000;
      const data = f.type === 'file' ? f.sha256! : sha256(f.type === 'symlink' ? Buffer.from(f.target!) : new Uint8Array(0));
      want[name] = { sha256: data, mode: type | f.mode, dateTime: dosDateTime(Math.floor(f.mtime_ns / 1e9)) };
    }
    const py = pythonRead(path);
    expect(py.bad).toBeNull();
    expect(py.entries).toEqual(want);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);

  test('a Borg keyfile repository with its key file chosen in the page', async () => {
    const dir = join(ROOT, 'test-fixtures/borg/keyfile-zstd');
    interface BorgExpected { passphrase: string; archives: { name: string; files: { path: string; type: string; sha256?: string }[] }[] }
    const m = readJson<BorgExpected>(join(dir, 'expected.json'));
    const archive = m.archives[m.archives.length - 1]!;
    const file = archive.files.find((f) => f.type === 'file' && f.path.startsWith('home/user/') && f.path.split('/').length === 3 && f.sha256)!;
    const { page, requests } = await newPage('answered');
    await page.getByLabel('Borg repository folder').setInputFiles(join(dir, 'repo'));
    await page.getByLabel('Passphrase').fill(m.passphrase);
    // Without the key file the page says a key file is needed.
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/key file/i);
    await page.getByLabel('Borg key file').setInputFiles(join(dir, 'keyfile'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await row(page, archive.name).getByRole('button', { name: 'Browse files' }).click();
    const name = file.path.split('/').pop()!;
    await saveFromTree(page, ['home', 'user'], name);
    expect(await savedFileSha256(page, name)).toBe(file.sha256);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 120_000);
});
