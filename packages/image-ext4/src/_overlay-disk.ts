// The Disk that libext2fs reads through: a window of the image file, never written. Writes (libext2fs updates
// atime and may touch the superblock on mount/unmount) land in an in-memory copy-on-write overlay instead.
import type { FileHandle } from 'node:fs/promises';

const PAGE = 4096;
/**
 * libext2fs reads file data one block at a time, so the disk reads ahead in aligned windows and keeps a few: data
 * reads interleave with extent-tree and inode-table reads elsewhere, and one window would thrash (measured on a
 * 1 KiB-block filesystem: 1 MiB/s with one window, see README).
 */
const WINDOW = 512 * 1024;
const WINDOWS = 16;
/** Bounds the overlay: atime updates dirty one inode-table block per 16–32 inodes read. */
const MAX_OVERLAY_PAGES = 64 * 1024;

export class OverlayDisk {
  readonly #fh: FileHandle;
  readonly #base: number;
  readonly #length: number;
  readonly #pages = new Map<number, Uint8Array>();
  /** Window index → bytes (shorter at the end of the filesystem); Map order is the LRU order. */
  readonly #windows = new Map<number, Buffer>();
  /** Count of writes absorbed by the overlay (for tests and diagnostics). */
  writes = 0;

  /** `base` and `length` select the filesystem's byte range inside the image file. */
  constructor(fh: FileHandle, base: number, length: number) {
    this.#fh = fh;
    this.#base = base;
    this.#length = length;
  }

  async read(buffer: Buffer, bufferOffset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const dest = buffer.subarray(bufferOffset, bufferOffset + length);
    await this.#readBase(dest, position);
    if (this.#pages.size > 0) this.#applyOverlay(dest, position);
    return { bytesRead: length };
  }

  async write(buffer: Buffer, bufferOffset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    const src = buffer.subarray(bufferOffset, bufferOffset + length);
    for (let p = Math.floor(position / PAGE); p * PAGE < position + length; p++) {
      let page = this.#pages.get(p);
      if (page === undefined) {
        if (this.#pages.size >= MAX_OVERLAY_PAGES) throw new Error('copy-on-write overlay is full');
        page = new Uint8Array(PAGE);
        await this.#readBase(page, p * PAGE);
        this.#pages.set(p, page);
      }
      const from = Math.max(position, p * PAGE);
      const to = Math.min(position + length, (p + 1) * PAGE);
      page.set(src.subarray(from - position, to - position), from - p * PAGE);
    }
    this.writes++;
    return { bytesWritten: length };
  }

  async discard(): Promise<void> {}
  async flush(): Promise<void> {}

  /** Bytes of the image at `position` (relative to the filesystem), zeros past its end. */
  async #readBase(dest: Uint8Array, position: number): Promise<void> {
    const w = Math.floor(position / WINDOW);
    if (dest.length > 0 && Math.floor((position + dest.length - 1) / WINDOW) === w && position < this.#length) {
      let win = this.#windows.get(w);
      if (win === undefined) {
        const start = w * WINDOW;
        win = Buffer.allocUnsafe(Math.min(WINDOW, this.#length - start));
        win = win.subarray(0, await this.#readFully(win, start));
        if (this.#windows.size >= WINDOWS) this.#windows.delete(this.#windows.keys().next().value!);
      } else {
        this.#windows.delete(w);
      }
      this.#windows.set(w, win);
      const from = position - w * WINDOW;
      const got = win.subarray(from, from + dest.length);
      dest.set(got);
      dest.fill(0, got.length);
      return;
    }
    const want = Math.max(0, Math.min(dest.length, this.#length - position));
    const n = await this.#readFully(dest.subarray(0, want), position);
    dest.fill(0, n);
  }

  async #readFully(dest: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < dest.length) {
      const { bytesRead } = await this.#fh.read(dest, done, dest.length - done, this.#base + position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  #applyOverlay(dest: Uint8Array, position: number): void {
    const end = position + dest.length;
    for (let p = Math.floor(position / PAGE); p * PAGE < end; p++) {
      const page = this.#pages.get(p);
      if (page === undefined) continue;
      const from = Math.max(position, p * PAGE);
      const to = Math.min(end, (p + 1) * PAGE);
      dest.set(page.subarray(from - p * PAGE, to - p * PAGE), from - position);
    }
  }
}
