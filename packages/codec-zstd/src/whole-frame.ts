import { ZSTDDecoder } from 'zstddec';

/**
 * The largest input + output decoded this way. WebAssembly memory only grows, and what it grew to
 * stays with the process: Wyng and Borg chunks are at most a few MiB; larger inputs stream through
 * fzstd instead.
 */
const MAX_BYTES = 24 << 20;

let decoder: Promise<ZSTDDecoder | null> | undefined;

/** zstd's own decoder compiled to WebAssembly (zstddec), loaded on first use; null where WebAssembly is missing or forbidden. */
function wasmDecoder(): Promise<ZSTDDecoder | null> {
  decoder ??= (async () => {
    try {
      const d = new ZSTDDecoder();
      await d.init();
      return d;
    } catch {
      return null;
    }
  })();
  return decoder;
}

/**
 * Frames held whole in memory whose output is exactly `size` bytes, decoded by zstd's own decoder
 * (`ZSTD_decompress`, 8-20 times faster than fzstd here: it checks content sizes and checksums as
 * well); undefined otherwise: malformed, another size, too large for this path, or no WebAssembly.
 * The caller then runs the streaming decoder, which gives the same output or says what is wrong.
 */
export async function decodeWholeFrames(input: Uint8Array, size: number): Promise<Uint8Array | undefined> {
  if (input.length + size > MAX_BYTES || input.length === 0 || size === 0) return undefined;
  const d = await wasmDecoder();
  if (!d) return undefined;
  let out: Uint8Array;
  try {
    // An error comes back as a size that is not `size` (the decoder returns it in place of a length).
    out = d.decode(input, size);
  } catch {
    return undefined;
  }
  return out.length === size ? out : undefined;
}
