import xzDecompress from 'xz-decompress';
import { CorruptBackupError, UnsupportedError, type ByteStream, type QubesBackupError, type ReadOptions } from '@qubes-backup/core';

// The package is CommonJS (a webpack bundle): its named export is only reachable through the default.
const { XzReadableStream } = xzDecompress;

/** xz-embedded's `enum xz_ret` codes (what "get_next_output failed with error code N" carries). */
function fromCode(code: number, error: unknown): QubesBackupError {
  const d = { cause: error };
  switch (code) {
    case 2: return new UnsupportedError('xz: unsupported integrity check type', d);
    case 3: return new UnsupportedError('xz: the decoder ran out of memory', d);
    case 4: return new UnsupportedError("xz: dictionary larger than the decoder's memory limit", d);
    case 5: return new CorruptBackupError('xz: not xz data, or garbage after the last stream (bad magic; a .lzma file needs the lzma filter)', d);
    case 6: return new UnsupportedError('xz: unsupported options (a SHA-256 check, or a filter this decoder lacks)', d);
    case 7: return new CorruptBackupError('xz: data corrupt (check mismatch)', d);
    case 8: return new CorruptBackupError('xz: truncated input', d);
    default: return new CorruptBackupError(`xz: decoder error ${code}`, d);
  }
}

/**
 * unxz on xz-decompress (xz-embedded in wasm, WHATWG streams): multi-block and multi-stream input
 * with stream padding; CRC32, CRC64 and no check. Output pieces are the decoder's buffer (< 1 MiB).
 *
 * xz-decompress decodes one stream at a time process-wide (a lock taken per XzReadableStream):
 * finish or abandon one `unxz` before reading another. Abandoning (return/throw) releases the lock.
 */
export async function* unxz(data: ByteStream, opts: ReadOptions = {}): ByteStream {
  const { signal } = opts;
  signal?.throwIfAborted();
  const input = data[Symbol.asyncIterator]();
  let upstream: { error: unknown } | undefined;
  let sawInput = false;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const r = await input.next();
          if (r.done) { controller.close(); return; }
          if (r.value.length === 0) continue;
          sawInput = true;
          controller.enqueue(r.value);
          return;
        }
      } catch (error) {
        upstream = { error };
        controller.error(error);
      }
    },
    async cancel() { await input.return?.(); },
  }, { highWaterMark: 0 });

  const reader = new XzReadableStream(source).getReader();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const r = await reader.read();
      if (r.done) return;
      if (r.value.length > 0) yield r.value;
    }
  } catch (e) {
    if (upstream) throw upstream.error;
    if (signal?.aborted) throw signal.reason;
    // With no input at all the wrapper fails on a null buffer before the decoder says anything.
    if (!sawInput) throw new CorruptBackupError('xz: empty input', { cause: e });
    const m = /error code (\d+)/.exec(e instanceof Error ? e.message : '');
    if (m) throw fromCode(Number(m[1]), e);
    throw new CorruptBackupError(`xz: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    // Releases the decoder's lock and the input when the consumer stops early; a no-op otherwise.
    await reader.cancel().catch(() => undefined);
  }
}
