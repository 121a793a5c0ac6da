import { ByteReader, assertSafeInteger, type ByteStream, type ReadOptions } from '@qubes-backup/core';
import { Lz4BlockDecoder } from './block-decoder.js';
import { decodeWholeBlock } from './whole-block.js';
import { DEFAULT_MAX_OUTPUT } from './limits.js';

export interface Lz4Options extends ReadOptions {
  /** The block's output size when known (see `Compressor.decompress`): the first piece is then that many bytes. */
  outputSize?: number;
  /** Refuse a block whose output would exceed this many bytes (default DEFAULT_MAX_OUTPUT, 128 MiB). */
  maxOutput?: number;
}

/**
 * Decodes one raw LZ4 block (no frame, no size prefix: what Borg 1.x stores after a chunk's
 * 2-byte compression id) streamed in pieces of any size. Yields pieces of at most 1 MiB and holds
 * at most 1 MiB + 64 KiB of output; with `outputSize` (a Borg chunk list gives it), the first
 * piece is that many bytes (at most `maxOutput`), so a whole block comes out as one. The block ends where the input ends; throws CorruptBackupError
 * (`lz4: ...`) when it is malformed or truncated, or its output would exceed `maxOutput`. Errors of
 * the input stream pass through unchanged; `signal` is checked between pieces.
 */
export function lz4BlockDecode(data: ByteStream, opts: Lz4Options = {}): ByteStream {
  if (data === null || typeof data !== 'object' || typeof (data as Partial<ByteStream>)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('data must be an AsyncIterable<Uint8Array>');
  }
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object');
  const maxOutput = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  assertSafeInteger(maxOutput, 'maxOutput');
  if (opts.outputSize !== undefined) assertSafeInteger(opts.outputSize, 'outputSize');
  return decodeBlock(data, maxOutput, opts.outputSize, opts.signal);
}

async function* decodeBlock(data: ByteStream, maxOutput: number, outputSize: number | undefined, signal: AbortSignal | undefined): ByteStream {
  signal?.throwIfAborted();
  let input: AsyncIterable<Uint8Array> = data;
  if (outputSize !== undefined) {
    // A caller that knows the size usually has the whole block in one piece (a Borg chunk): try
    // the WebAssembly decoder on it; anything it refuses is decoded below, for the exact error.
    const { only, stream } = await ByteReader.single(data);
    const out = only && decodeWholeBlock(only, Math.min(outputSize, maxOutput));
    if (out) {
      signal?.throwIfAborted();
      if (out.length) yield out;
      return;
    }
    input = stream;
  }
  const decoder = new Lz4BlockDecoder(maxOutput, outputSize);
  for await (const piece of input) {
    if (!(piece instanceof Uint8Array)) throw new TypeError('lz4: input pieces must be Uint8Array');
    signal?.throwIfAborted();
    // One input piece can expand ~255:1: hand out each full buffer before decoding on. A buffer
    // filled by the piece's last byte stays as it is until there is more to write (a match being
    // copied, the next piece), so an exact-size buffer ends the block with none allocated after it.
    for (let i = decoder.decode(piece); decoder.full && decoder.pending; i = decoder.decode(piece, i)) {
      yield decoder.flush();
      signal?.throwIfAborted();
    }
  }
  decoder.end();
  if (decoder.pending) {
    yield decoder.flush();
    signal?.throwIfAborted();
  }
}
