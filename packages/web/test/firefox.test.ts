// The page in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core): no File
// System Access API there, so every save is the download fallback, and gzip goes through Firefox's own
// DecompressionStream. Opened from file://, as a person would open the file kept beside a backup.
// A Borg repository folder cannot be chosen here: Firefox's driver refuses a directory for a
// webkitdirectory input (input.setFiles: "Is directory").
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { readJson } from './page-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HTML = join(ROOT, 'dist/qubes-backup.html');
const PAGE_URL = pathToFileURL(HTML).href;
const V4 = join(ROOT, 'test-fixtures/v4-sample');
const FIREFOX = '/usr/bin/firefox-esr';

/** Debian's Firefox ESR, installed with apt-get when missing and this runs as root (CI does); else why not. */
function findFirefox(): { path?: string; reason?: string } {
  if (existsSync(FIREFOX)) return { path: FIREFOX };
  if (process.getuid?.() !== 0) return { reason: `${FIREFOX} is missing and installing it needs root (apt-get install firefox-esr)` };
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr'], { stdio: 'ignore', timeout: 600_000 });
  } catch (e) {
    return { reason: `installing firefox-esr with apt-get failed: ${(e as Error).message}` };
  }
  return existsSync(FIREFOX) ? { path: FIREFOX } : { reason: `apt-get ran but ${FIREFOX} is still missing` };
}

interface V4Manifest {
  passphrase: string; backup_file: string;
  files: { path: string; sha256?: string; image?: { contents: { path: string; size: number; sha256?: string }[] } }[];
}

const browserAt = existsSync(HTML) ? findFirefox() : { reason: `${HTML} is missing (npm run build makes it)` };
if (!browserAt.path) console.warn(`Firefox page tests skipped: ${browserAt.reason}`);

(browserAt.path ? describe : describe.skip)('qubes-backup.html from file:// in Firefox', () => {
  jest.setTimeout(120_000);
  const v4 = readJson<V4Manifest>(join(V4, 'manifest.json'));
  let browser: Browser;
  let downloads: string;
  beforeAll(async () => {
    downloads = mkdtempSync(join(tmpdir(), 'qubes-web-firefox-'));
    browser = await puppeteer.launch({
      browser: 'firefox', executablePath: browserAt.path!, headless: true,
      // Downloads go to `downloads` without asking.
      extraPrefsFirefox: {
        'browser.download.dir': downloads, 'browser.download.folderList': 2, 'browser.download.useDownloadDir': true,
        'browser.download.always_ask_before_handling_new_types': false,
      },
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(downloads, { recursive: true, force: true });
  });

  /** A fresh page on the file, recording every request it makes other than loading itself and its own blob: URLs. */
  async function newPage(): Promise<{ page: Page; requests: string[] }> {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => { if (r.url() !== PAGE_URL && !r.url().startsWith('blob:')) requests.push(r.url()); });
    await page.goto(PAGE_URL);
    return { page, requests };
  }

  async function open(page: Page, backup: string, passphrase: string): Promise<void> {
    const input = await page.$('input#backup-file');
    await input!.uploadFile(backup);
    await page.type('#passphrase', passphrase);
    await page.click('#open');
  }

  /** Clicks the button named `button` in the table row whose first cell is `unit`. */
  const clickInRow = (page: Page, unit: string, button: string) => page.evaluate((u, b) => {
    const row = [...document.querySelectorAll('tbody tr')].find((r) => r.querySelector('td')?.textContent === u);
    const el = [...(row?.querySelectorAll('button') ?? [])].find((x) => x.textContent === b);
    if (!el) throw new Error(`no button '${b}' in the row of '${u}'`);
    el.click();
  }, unit, button);

  /** Opens folders of the file tree one after another by name, unless open already. */
  async function openFolders(page: Page, folders: readonly string[]): Promise<void> {
    for (const folder of folders) {
      const toggle = await page.waitForSelector(`li[role=treeitem][aria-label="${folder}"] button`, { timeout: 60_000 });
      if ((await toggle!.evaluate((b) => b.closest('li')!.getAttribute('aria-expanded'))) !== 'true') await toggle!.click();
    }
  }

  /** The sha256 of the file Firefox downloaded as `name`, once complete (Firefox writes `name.part` until then). */
  async function downloaded(name: string, size: number): Promise<string> {
    const path = join(downloads, name);
    for (let i = 0; i < 240; i++) {
      const names = readdirSync(downloads);
      if (names.includes(name) && !names.some((n) => n.endsWith('.part')) && statSync(path).size === size) {
        return createHash('sha256').update(readFileSync(path)).digest('hex');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`no complete download '${name}' in ${downloads}: ${readdirSync(downloads).join(', ')}`);
  }

  test('v4 (scrypt logN 14): VMs listed, private.img saved as a download with the manifest\'s sha256, nothing fetched', async () => {
    const { page, requests } = await newPage();
    expect(await page.evaluate(() => typeof (window as { showSaveFilePicker?: unknown }).showSaveFilePicker)).toBe('undefined');
    await open(page, join(V4, v4.backup_file), v4.passphrase);
    await page.waitForSelector('tbody tr', { timeout: 60_000 });
    const names = await page.$$eval('tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    expect(names).toEqual(expect.arrayContaining(['work', 'dom0']));
    await clickInRow(page, 'work', 'Save private.img');
    expect(await downloaded('work-private.img', 32 << 20)).toBe(v4.files.find((f) => f.path === 'work/private.img')!.sha256);
    expect(await page.$eval('#alert', (a) => (a as HTMLElement).hidden)).toBe(true);
    expect(requests).toEqual([]);
    await page.close();
  });

  test('Browse files: one file of the image saved as a download', async () => {
    const { page, requests } = await newPage();
    await open(page, join(V4, v4.backup_file), v4.passphrase);
    await page.waitForSelector('tbody tr', { timeout: 60_000 });
    await clickInRow(page, 'work', 'Browse files');
    await openFolders(page, ['home', 'user', 'Documents']);
    const save = await page.waitForSelector('li[role=treeitem][aria-label="recovered.txt"] button');
    expect(await save!.evaluate((b) => b.textContent)).toBe('Save');
    await save!.click();
    const want = v4.files.find((f) => f.path === 'work/private.img')!.image!.contents.find((c) => c.path === 'home/user/Documents/recovered.txt')!;
    expect(await downloaded('recovered.txt', want.size)).toBe(want.sha256);
    expect(requests).toEqual([]);
    await page.close();
  });

  test('a wrong passphrase: an alert that says so', async () => {
    const { page } = await newPage();
    await open(page, join(V4, v4.backup_file), `${v4.passphrase}-not`);
    await page.waitForSelector('#alert:not([hidden])', { timeout: 60_000 });
    expect(await page.$eval('#alert', (a) => a.textContent)).toMatch(/passphrase/i);
    await page.close();
  });
});
