import './style.css';
import { concatBytes, formatBytes, UsageError, type BackupInfo, type BackupInput, type OpenedBackup, type UnitInfo } from '@qubes-backup/core';
import { blobSource } from './file-source.js';
import { folderSource } from './dir-source.js';
import { openInPage } from './open-backup.js';
import { hasImage, saveImage, type Volume } from './image.js';
import { BLOB_LIMIT, canPickSaveFile, downloadWriter, pickFileWriter, type FileWriter } from './save.js';
import { progressView } from './progress.js';
import { plainWords } from './messages.js';
import { storesVolume, unitDetails } from './unit-details.js';
import { archiveTree } from './archive-tree.js';
import { imageTree } from './image-tree.js';
import { showTree } from './tree-view.js';
import { smallButton } from './small-button.js';
import { saveFolderAsZip } from './zip-folder.js';
import { pageRegistry } from './registry.js';
import { scryptPool } from './scrypt/pool.js';
import { DerivationScheduler } from '@qubes-backup/cipher-scrypt';
import type { TreeEntry, TreeSource } from './tree-source.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>('backup-file');
const folderInput = $<HTMLInputElement>('borg-folder');
const passInput = $<HTMLInputElement>('passphrase');
const keyInput = $<HTMLInputElement>('borg-key');
const alertBox = $('alert');
const result = $('result');
const rows = $('units').querySelector('tbody')!;
const progress = progressView($('progress'), $('progress-text'), $('progress-box'));

let opened: OpenedBackup | undefined;
let running: AbortController | undefined;

/**
 * Key derivations run in workers, one per core (at most 4): format 4 derives a key per chunk, and
 * the format derives upcoming chunks' keys while earlier ones are decoded. Memory for them: half of
 * what the browser says the device has (Chromium's navigator.deviceMemory, capped at 8 GB), else 2 GiB.
 */
const CORES = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
const MEMORY = (((navigator as { deviceMemory?: number }).deviceMemory ?? 4) / 2) * 1024 ** 3;
const pool = scryptPool(CORES);
const derivations = new DerivationScheduler({ cores: CORES, memory: MEMORY });
// For diagnostics and the page tests: every derivation's time, one derivation on demand (timing one
// alone, with no other work in the page), and the page's gzip decoder on given bytes (the browser's
// DecompressionStream is what Node's tests cannot reach).
(globalThis as { qubesBackupPage?: unknown }).qubesBackupPage = {
  derivations: pool.log,
  scrypt: (logN: number) => pool.derive(new TextEncoder().encode('qubes'), new Uint8Array(32), 2 ** logN, 8, 1),
  gunzip: (input: Uint8Array, piece: number) => decodeForTest(input, piece),
};

/** `input` in pieces of `piece` bytes through the page's gzip decoder: the output's size and SHA-256, or the error. */
async function decodeForTest(input: Uint8Array, piece: number): Promise<{ size: number; sha256: string } | { error: string; message: string }> {
  const gzip = pageRegistry(pool, derivations).get('compressor', 'gzip');
  async function* pieces() { for (let o = 0; o < input.length; o += piece) yield input.subarray(o, o + piece); }
  try {
    const out: Uint8Array[] = [];
    for await (const p of gzip.decompress(pieces())) out.push(p.slice());
    const all = concatBytes(out);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all as Uint8Array<ArrayBuffer>));
    return { size: all.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
  } catch (e) {
    return { error: (e as { code?: string }).code ?? 'unknown', message: (e as Error).message };
  }
}
// Choosing one input clears the other: the page opens one backup at a time.
fileInput.addEventListener('change', () => { if (fileInput.files?.length) folderInput.value = ''; });
folderInput.addEventListener('change', () => { if (folderInput.files?.length) fileInput.value = ''; });
$('cancel').addEventListener('click', () => running?.abort(new DOMException('Cancelled by the user', 'AbortError')));
$('save-note').textContent = canPickSaveFile()
  ? 'Files are written straight to the place you choose, whatever their size.'
  : `This browser cannot write files directly (only Chrome and Edge can), so each file is built in memory and then downloaded: that works for files up to about ${formatBytes(BLOB_LIMIT)}. For larger images use Chrome or Edge, or the command-line tool.`;

$<HTMLFormElement>('open-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void task('Opening the backup and checking the passphrase', undefined, async (signal) => {
    const input = chosenInput();
    if (!input) throw new UsageError('choose a backup file or a Borg repository folder first');
    await opened?.close?.();
    opened = undefined;
    result.hidden = true;
    $('browser').hidden = true;
    const keyFile = input.kind === 'directory' ? keyInput.files?.[0] : undefined;
    opened = await openInPage(input, {
      registry: pageRegistry(pool, derivations), passphrase: passInput.value, signal, resources: { cores: CORES, memory: MEMORY },
      ...(keyFile ? { keyFile } : {}),
    });
    // What the file actually holds, not only what its catalogue promised: one pass over the member
    // headers (nothing decrypted; seeks over the data), so a backup cut short shows which VMs lost data.
    const surveyed = opened.survey ? await opened.survey({ signal }) : undefined;
    showUnits(opened, surveyed?.info ?? opened.info);
    const problem = (surveyed?.info as { survey?: { problem?: string } } | undefined)?.survey?.problem;
    if (problem !== undefined) {
      alertBox.textContent = `This backup ends early or is damaged: what comes after that point is missing, and the VMs marked below lack data. Details: ${problem}`;
      alertBox.hidden = false;
    }
  });
});

function chosenInput(): BackupInput | undefined {
  const file = fileInput.files?.[0];
  if (file) return { kind: 'file', source: blobSource(file, file.name) };
  const files = folderInput.files;
  if (files?.length) return { kind: 'directory', dir: folderSource(files) };
  return undefined;
}

function showUnits(o: OpenedBackup, info: BackupInfo): void {
  $('result-title').textContent = `${info.title}: ${info.units.length} ${info.unitNoun}${info.units.length === 1 ? '' : 's'}`;
  rows.replaceChildren(...info.units.map((u) => unitRow(o, u)));
  result.hidden = false;
}

function unitRow(o: OpenedBackup, u: UnitInfo): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const d = unitDetails(u);
  const cells: [string, string][] = [['', u.name], ['Class', d.vmClass ?? ''], ['Template', d.template ?? ''], ['Size', u.size !== undefined ? formatBytes(u.size) : '']];
  for (const [label, text] of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    // On a phone the header row is hidden and each cell says what it is (style.css).
    if (label) td.dataset['label'] = label;
    tr.append(td);
  }
  const actions = document.createElement('td');
  if (!u.present) actions.textContent = u.lacking !== undefined ? 'its data is missing from this backup' : 'not in this backup';
  else if (u.lacking !== undefined) actions.append(`missing: ${u.lacking} `);
  for (const volume of ['private', 'root'] as const) {
    if (!u.present || !hasImage(o, u.name, volume) || !storesVolume(u, volume)) continue;
    actions.append(smallButton(`Save ${volume}.img`, () => saveVolume(o, u.name, volume)));
  }
  if (u.present) actions.append(smallButton('Browse files', () => browse(o, u.name)));
  tr.append(actions);
  return tr;
}

function saveVolume(o: OpenedBackup, unit: string, volume: Volume): void {
  const name = `${unit}-${volume}.img`;
  void task(`Saving ${unit}'s ${volume}.img`, undefined, async (signal) => {
    // The save dialog first, while the click still counts as the person's action.
    const target = canPickSaveFile() ? await pickFileWriter(name) : downloadWriter(name);
    if (!target) return;
    await saveImage(o, unit, volume, withProgress(target, `Saving ${unit}'s ${volume}.img`), { signal, onProgress: (n) => progress.add(n) });
  });
}

function browse(o: OpenedBackup, unit: string): void {
  const image = hasImage(o, unit, 'private');
  void task(image ? `Reading ${unit}'s private.img` : `Reading the list of ${unit}'s files`, undefined, async (signal) => {
    // A VM's files are those in its private volume (home, /rw); other units store file trees themselves.
    // The image's data is kept in memory while its files are browsed: at most what derivations may take.
    const source = image ? await imageTree(o, unit, 'private', MEMORY, { signal, onProgress: (n) => progress.add(n) }) : await archiveTree(o, unit, { signal });
    $('browser-title').textContent = `Files of ${source.title}`;
    await showTree($<HTMLUListElement>('tree'), source, { file: saveFromTree, folder: saveFolderFromTree });
    $('browser').hidden = false;
  });
}

function saveFromTree(source: TreeSource, path: string, entry: TreeEntry): void {
  void task(`Saving ${entry.name}`, entry.size, async (signal) => {
    const target = canPickSaveFile() ? await pickFileWriter(entry.name) : downloadWriter(entry.name);
    if (!target) return;
    await source.save(path, withProgress(target, `Saving ${entry.name}`), { signal, onProgress: (n) => progress.add(n) });
  });
}

function saveFolderFromTree(source: TreeSource, path: string, entry: TreeEntry): void {
  const name = `${entry.name}.zip`;
  void task(`Saving ${name}`, undefined, async (signal) => {
    const target = canPickSaveFile() ? await pickFileWriter(name) : downloadWriter(name);
    if (!target) return;
    // The zip's CRC-32 is the registry's crc32 plugin, the one Borg's segments are checked with.
    const crc32 = pageRegistry(pool, derivations).get('hash', 'crc32');
    await saveFolderAsZip(source, path, entry, withProgress(target, `Saving ${name}`), crc32, { signal, onProgress: (n) => progress.add(n) });
  });
}

/** Progress is counted against the image's size once it is known (its member header). */
function withProgress(w: FileWriter, label: string): FileWriter {
  return { ...w, start: (size, name) => { progress.start(label, size); return w.start(size, name); } };
}

/** Runs one long step: buttons disabled, progress shown, Cancel armed, errors in the alert. */
async function task(label: string, total: number | undefined, run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (running) return;
  running = new AbortController();
  alertBox.hidden = true;
  document.body.setAttribute('aria-busy', 'true');
  for (const b of document.querySelectorAll<HTMLButtonElement>('button:not(#cancel)')) b.disabled = true;
  progress.start(label, total);
  try {
    await run(running.signal);
  } catch (e) {
    console.error(e);
    alertBox.textContent = plainWords(e);
    alertBox.hidden = false;
  } finally {
    progress.done();
    running = undefined;
    document.body.removeAttribute('aria-busy');
    for (const b of document.querySelectorAll<HTMLButtonElement>('button')) b.disabled = false;
  }
}
