import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BrowserContext, Locator, Page } from 'playwright-core';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every request the page makes other than loading itself and reading its own in-memory `blob:`
 * URLs (the scrypt workers' code, a download being handed over): the test expects none.
 */
export function recordRequests(context: BrowserContext, pageUrl: string): string[] {
  const seen: string[] = [];
  context.on('request', (r) => { if (r.url() !== pageUrl && !r.url().startsWith('blob:null/')) seen.push(r.url()); });
  return seen;
}

/**
 * Answers the save dialog, which a headless browser cannot show. Chromium refuses its
 * origin-private file system to a file:// page (SecurityError), so the handle given back is a
 * stand-in with the same `createWritable()` surface the page uses (positioned `write`, `truncate`,
 * `close`), keeping the bytes in the page for the test to hash.
 */
export async function answerSavePicker(page: Page, mode: 'keep' | 'count' = 'keep'): Promise<void> {
  await page.addInitScript((countOnly) => {
    const w = window as unknown as { showSaveFilePicker: unknown; saved: Map<string, Uint8Array>; savedBytes: Map<string, number> };
    w.savedBytes = new Map();
    w.saved = new Map();
    w.showSaveFilePicker = async (o: { suggestedName: string }) => ({
      kind: 'file',
      name: o.suggestedName,
      async createWritable() {
        let data = new Uint8Array(0);
        const grow = (n: number) => { if (n > data.length) { const d = new Uint8Array(n); d.set(data); data = d; } };
        return {
          async write(x: { type: 'write'; position: number; data: Uint8Array }) {
            w.savedBytes.set(o.suggestedName, (w.savedBytes.get(o.suggestedName) ?? 0) + x.data.length);
            // Measuring only: the bytes are counted, not kept (a large image would fill the page's memory).
            if (countOnly) return;
            grow(x.position + x.data.length);
            data.set(x.data, x.position);
          },
          async truncate(n: number) { if (!countOnly) { grow(n); data = data.subarray(0, n); } },
          async close() { w.saved.set(o.suggestedName, data); },
          async abort() { data = new Uint8Array(0); },
        };
      },
    });
  }, mode === 'count');
}

/** Removes the File System Access API, as in Firefox and Safari: the page must fall back to a download. */
export async function removeSavePicker(page: Page): Promise<void> {
  await page.addInitScript(() => { delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker; });
}

/** sha256 of the file the page saved as `name` through the answered save dialog, once closed. */
export async function savedFileSha256(page: Page, name: string): Promise<string> {
  const handle = await page.waitForFunction((n) => (window as unknown as { saved: Map<string, Uint8Array> }).saved.get(n), name);
  await handle.dispose();
  return page.evaluate(async (n) => {
    const data = (window as unknown as { saved: Map<string, Uint8Array> }).saved.get(n)!;
    const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, name);
}

/** Chooses a backup file, types the passphrase and presses Open, as a person would. */
export async function openBackup(page: Page, file: string, passphrase: string): Promise<void> {
  await page.getByLabel('Backup file').setInputFiles(file);
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Opens folders of the file tree one after another by name (`home`, `user`), unless open already; returns the innermost group. */
async function openFolders(page: Page, folders: readonly string[]): Promise<Locator> {
  let scope = page.getByRole('tree');
  for (const name of folders) {
    const item = scope.getByRole('treeitem', { name, exact: true }).first();
    await item.waitFor();
    if ((await item.getAttribute('aria-expanded')) !== 'true') await item.getByRole('button').first().click();
    scope = item.getByRole('group').first();
    await scope.waitFor();
  }
  return scope;
}

/** Opens `folders` in the file tree, then presses Save on `file`. */
export async function saveFromTree(page: Page, folders: readonly string[], file: string): Promise<void> {
  const scope = await openFolders(page, folders);
  await scope.getByRole('treeitem', { name: file, exact: true }).getByRole('button', { name: 'Save', exact: true }).click();
}

/** Opens `folders` in the file tree, then presses "Save as .zip" on the folder `folder` (its own button: the first inside its item). */
export async function saveFolderZipFromTree(page: Page, folders: readonly string[], folder: string): Promise<void> {
  const scope = await openFolders(page, folders);
  await scope.getByRole('treeitem', { name: folder, exact: true }).first().getByRole('button', { name: 'Save as .zip', exact: true }).first().click();
}

/** The bytes of the file the page saved as `name` through the answered save dialog, once closed (base64 across the page boundary). */
export async function savedFileBytes(page: Page, name: string): Promise<Buffer> {
  const handle = await page.waitForFunction((n) => (window as unknown as { saved: Map<string, Uint8Array> }).saved.get(n), name);
  await handle.dispose();
  const base64 = await page.evaluate((n) => {
    const data = (window as unknown as { saved: Map<string, Uint8Array> }).saved.get(n)!;
    let s = '';
    for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return btoa(s);
  }, name);
  return Buffer.from(base64, 'base64');
}
