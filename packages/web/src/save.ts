/** Where a saved file goes: written at offsets, holes left unwritten (they read as zeros). */
export interface FileWriter {
  /** Called once, before any `write`, with the file's logical size. */
  start(size: number, name: string): Promise<void>;
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Every piece was written: the file is complete. */
  finish(): Promise<void>;
  /** Reading failed or was cancelled: drop what was written. */
  abort(reason: unknown): Promise<void>;
}

/**
 * Without the File System Access API the decoded file is assembled in memory as a Blob, then
 * downloaded. Browsers keep Blobs in memory (spilling to disk in Chromium), and most refuse or
 * crash on one larger than about 2 GB, so the page says so.
 */
export const BLOB_LIMIT = 2 * 1024 ** 3;

/** What the File System Access API adds to `window` (Chromium-based browsers only; not in TypeScript's DOM types). */
interface SavePickerWindow {
  showSaveFilePicker?(options?: { suggestedName?: string }): Promise<FileSystemFileHandle>;
}

export function canPickSaveFile(): boolean {
  return typeof (globalThis as SavePickerWindow).showSaveFilePicker === 'function';
}

/**
 * Asks where to save `name` and returns a writer streaming into that file. Must run inside the
 * click handler, before any slow work: the browser allows the picker only right after a user action.
 * Resolves undefined when the person cancels the picker.
 */
export async function pickFileWriter(name: string): Promise<FileWriter | undefined> {
  let handle: FileSystemFileHandle;
  try {
    handle = await (globalThis as SavePickerWindow).showSaveFilePicker!({ suggestedName: name });
  } catch (e) {
    if ((e as Error).name === 'AbortError') return undefined;
    throw e;
  }
  const out = await handle.createWritable();
  let size = 0;
  return {
    async start(n) {
      size = n;
    },
    // Positioned writes: a hole between extents is never written, and the file system fills it with zeros.
    write: (offset, bytes) => out.write({ type: 'write', position: offset, data: bytes as Uint8Array<ArrayBuffer> }),
    async finish() {
      await out.truncate(size);
      await out.close();
    },
    abort: (reason) => out.abort(reason),
  };
}

/**
 * A writer that assembles the file as a Blob and downloads it under `name` at the end. Holes are
 * filled by one shared zero buffer, so a sparse image costs its data plus references.
 */
export function downloadWriter(name: string): FileWriter {
  const parts: BlobPart[] = [];
  let at = 0;
  let size = 0;
  const zeros = new Uint8Array(1 << 20);
  const fill = (to: number) => {
    while (at < to) {
      const n = Math.min(zeros.length, to - at);
      parts.push(n === zeros.length ? zeros : zeros.subarray(0, n));
      at += n;
    }
  };
  return {
    async start(n) {
      if (n > BLOB_LIMIT) throw new RangeError(`this file is ${n} bytes: without the save dialog of Chrome or Edge a browser can save files up to about 2 GB only`);
      size = n;
    },
    async write(offset, bytes) {
      fill(offset);
      parts.push(bytes as Uint8Array<ArrayBuffer>);
      at = offset + bytes.length;
    },
    async finish() {
      fill(size);
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      // The download has its own copy once it started; a minute is ample for the browser to take it.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      parts.length = 0;
    },
    async abort() {
      parts.length = 0;
    },
  };
}
