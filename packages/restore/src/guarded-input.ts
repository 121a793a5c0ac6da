// Every byte a restore reads passes here, on its way out of the source: counted for progress, and a
// failing read said as one error naming the source and the byte where it failed.
import { IoError, isQubesBackupError, type BackupInput, type ByteSource, type ByteStream, type ReadOptions } from '@qubes-backup/core';

/** What reading counts: the progress through the backup, and the bytes a source received (a remote one: the network's). */
export interface Counters {
  /** A file: how far the restore has read into it; a folder: the bytes read from its files. */
  onProgress?: (n: number) => void;
  /** Passed to the source as its reads' `onProgress`: a remote source counts what it received, read-ahead included. */
  onTransferred?: (n: number) => void;
  /**
   * The run's interruption: a read it ends is not an I/O error, even one called without a signal
   * (the format's probe of a pipe waiting for its writer).
   */
  signal?: AbortSignal;
}

/**
 * The input with its sources guarded: a read that throws something other than the library's own
 * errors (EIO from a failing USB disk, a reset connection) becomes an IoError (exit 4) naming the
 * source and offset, and a read or stream that ends before the source's known size (the file
 * shrank, the device gave up) is one too, never a truncated backup.
 */
export function guardedInput(input: BackupInput, counters: Counters = {}): BackupInput {
  const { onProgress, onTransferred, signal } = counters;
  if (input.kind === 'file') return { kind: 'file', source: guarded(input.source, onTransferred, onProgress && farthest(input.source, onProgress), signal) };
  const dir = input.dir;
  const readSmall = dir.readSmall?.bind(dir);
  // A folder served as objects (format-borg's `objects.get` through `borg serve`): its objects are its reads.
  const objects = (dir as { readonly objects?: { get(id: Uint8Array): Promise<Uint8Array | undefined> } }).objects;
  return {
    kind: 'directory',
    dir: {
      ...dir, list: (p) => dir.list(p), file: async (p) => guarded(await dir.file(p), onTransferred, onProgress && ((_end, n) => onProgress(n))),
      ...(objects && onProgress ? {
        objects: { get: async (id: Uint8Array) => { const b = await objects.get(id); if (b) onProgress(b.length); return b; } },
      } : {}),
      ...(readSmall ? {
        readSmall: async (p: string, max: number) => {
          const b = await readSmall(p, max).catch((e: unknown) => { throw readError(e, `${dir.name}/${p}`, 0); });
          if (b) onProgress?.(b.length);
          return b;
        },
      } : {}),
    },
  };
}

/**
 * Progress through one backup file: how far into it the restore itself has read (a seek over
 * skipped members counts as passed; reads ahead do not), so the bar never passes 100 %.
 */
function farthest(source: ByteSource, onProgress: (n: number) => void): Progress {
  let reached = 0;
  return (end) => {
    const to = source.size === undefined ? end : Math.min(end, source.size);
    if (to > reached) { onProgress(to - reached); reached = to; }
  };
}

/** Told the end offset of each range read (a file), or the length of each piece (a folder's files: summed). */
type Progress = (end: number, length: number) => void;

function guarded(source: ByteSource, onTransferred?: (n: number) => void, progress?: Progress, runSignal?: AbortSignal): ByteSource {
  const read = source.read?.bind(source);
  const counted = (opts?: ReadOptions): ReadOptions | undefined => (onTransferred ? { ...opts, onProgress: onTransferred } : opts);
  return {
    ...source,
    stream: (offset = 0, opts?: ReadOptions) => guardedStream(source, offset, opts, progress, counted(opts), runSignal),
    ...(read ? {
      read: async (offset: number, length: number, opts?: ReadOptions) => {
        const bytes = await read(offset, length, counted(opts)).catch((e: unknown) => { throw readError(e, source.name, offset, opts?.signal ?? runSignal); });
        if (!opts?.ahead) progress?.(offset + bytes.length, bytes.length);
        const expected = source.size === undefined ? bytes.length : Math.min(length, Math.max(0, source.size - offset));
        if (bytes.length < expected) throw shortRead(source, offset + bytes.length, expected, bytes.length);
        return bytes;
      },
    } : {}),
  };
}

async function* guardedStream(
  source: ByteSource, offset: number, opts: ReadOptions | undefined, progress?: Progress, sourceOpts = opts, runSignal?: AbortSignal,
): ByteStream {
  let at = offset;
  const it = source.stream(offset, sourceOpts)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        throw readError(e, source.name, at, opts?.signal ?? runSignal);
      }
      if (r.done) {
        if (source.size !== undefined && at < source.size) throw shortRead(source, at, source.size - offset, at - offset);
        return;
      }
      at += r.value.length;
      if (!opts?.ahead) progress?.(at, r.value.length);
      yield r.value;
    }
  } finally {
    // A reader that stops early ends the source's stream too (its descriptor, its request).
    await it.return?.();
  }
}

/** A source's failure as one line naming where: the library's own errors and an interruption pass unchanged. */
function readError(e: unknown, name: string, offset: number, signal?: AbortSignal): unknown {
  if (isQubesBackupError(e) || signal?.aborted) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new IoError(`cannot read '${name}' at byte ${offset}: ${why}`, { cause: e });
}

function shortRead(source: ByteSource, at: number, expected: number, got: number): IoError {
  return new IoError(`short read from '${source.name}' at byte ${at}: ${got} of ${expected} bytes (the file shrank while being read, or the device failed)`);
}
