import { concatBytes, type Hash, type ReadOptions } from '@qubes-backup/core';
import type { FileWriter } from './save.js';
import type { TreeEntry, TreeSource } from './tree-source.js';
import { ZIP_LIMITS, ZipWriter, zipSize, type ZipEntry, type ZipLimits } from './zip-writer.js';

/**
 * Small records (headers, descriptors, small files) are gathered up to this size before they go
 * to the save target: each write to a picked file is a round trip to the browser's file process.
 */
const BUFFER = 1 << 20;

/** One planned zip entry and where its data comes from in the source. */
interface Planned {
  readonly entry: ZipEntry;
  readonly from: string;
}

/**
 * Saves the folder `path` of `source` with its whole subtree into `target` as one zip, whose
 * entries are named below the folder's own name (unzipping gives back the folder). The subtree is
 * listed first (listing costs no file data), so the zip's exact size is known before its first
 * byte; then each file is read once, straight into the zip: through the source's `saveMany` in one
 * read of the backup where it has one (archives), else through its `save`.
 * Progress counts the zip's bytes as they reach the target. Entries of type 'other' (devices,
 * sockets) are left out: a zip has no way to hold them.
 */
export async function saveFolderAsZip(
  source: TreeSource, path: string, folder: TreeEntry, target: FileWriter, crc32: Hash, opts: ReadOptions = {}, limits: ZipLimits = ZIP_LIMITS,
): Promise<void> {
  try {
    const name = folder.name;
    const plan = inReadingOrder(source, await planFolder(source, path, folder, opts.signal));
    const size = zipSize(plan.map((p) => p.entry), limits);
    await target.start(size, `${name}.zip`);
    let at = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (!pendingBytes) return;
      const out = pending.length === 1 ? pending[0]! : concatBytes(pending);
      pending = [];
      pendingBytes = 0;
      opts.signal?.throwIfAborted();
      await target.write(at, out);
      at += out.length;
      opts.onProgress?.(out.length);
    };
    const zip = new ZipWriter(async (bytes) => {
      // A large piece goes out as it is (no copy); small ones wait for company. The bytes are
      // copied when kept: a source may reuse its buffers once the write resolved.
      if (bytes.length >= BUFFER) {
        await flush();
        pending = [bytes];
        pendingBytes = bytes.length;
        await flush();
        return;
      }
      pending.push(bytes.slice());
      pendingBytes += bytes.length;
      if (pendingBytes >= BUFFER) await flush();
    }, crc32, limits);
    const rd: ReadOptions = opts.signal ? { signal: opts.signal } : {};
    const files = plan.filter((p) => p.entry.type === 'file');
    for (const { entry, from } of source.many ? plan.filter((p) => p.entry.type !== 'file') : plan) {
      opts.signal?.throwIfAborted();
      if (entry.type === 'file') await source.save(from, zip.file(entry), rd);
      else await zip.add(entry);
    }
    if (source.many) {
      // The source writes them in the planned order; a different one would misplace every later entry.
      let next = 0;
      await source.many.saveMany(files.map((f) => f.from), (from) => {
        const planned = files[next++];
        if (planned?.from !== from) throw new Error(`zip of '${path}': '${from}' came where '${planned?.from}' was planned`);
        return zip.file(planned.entry);
      }, rd);
    }
    await zip.finish();
    await flush();
    if (at !== size) throw new Error(`zip of '${path}': wrote ${at} bytes, planned ${size}`);
    await target.finish();
  } catch (e) {
    await target.abort(e).catch(() => undefined);
    throw e;
  }
}

/**
 * With a source that saves many files in one read: folders and symlinks first (tree order), then the
 * files in the order that read gives them. The zip's size depends on the order (ZIP64 offsets).
 */
function inReadingOrder(source: TreeSource, plan: Planned[]): Planned[] {
  if (!source.many) return plan;
  const byFrom = new Map(plan.filter((p) => p.entry.type === 'file').map((p) => [p.from, p]));
  return [...plan.filter((p) => p.entry.type !== 'file'), ...source.many.readingOrder([...byFrom.keys()]).map((f) => byFrom.get(f)!)];
}

/** The folder and everything below it, depth first, each folder before its entries. */
async function planFolder(source: TreeSource, path: string, folder: TreeEntry, signal: AbortSignal | undefined): Promise<Planned[]> {
  const out: Planned[] = [{ entry: zipEntry(folder.name, folder, 'dir'), from: path }];
  const walk = async (from: string, to: string) => {
    signal?.throwIfAborted();
    for (const e of await source.list(from)) {
      if (e.type === 'other') continue;
      out.push({ entry: zipEntry(`${to}/${e.name}`, e, e.type), from: `${from}/${e.name}` });
      if (e.type === 'dir') await walk(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  };
  await walk(path, folder.name);
  return out;
}

function zipEntry(path: string, e: TreeEntry, type: ZipEntry['type']): ZipEntry {
  return {
    path, type, size: type === 'file' ? e.size : 0,
    ...(e.target !== undefined ? { target: e.target } : {}),
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
    ...(e.mtime !== undefined ? { mtime: e.mtime } : {}),
  };
}
