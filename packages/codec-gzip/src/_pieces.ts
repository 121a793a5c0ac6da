/** Output pieces of at most `size` bytes (fflate hands over whatever one push inflated, up to MiBs at once). */
export function* inPieces(parts: readonly Uint8Array[], size: number): Generator<Uint8Array> {
  for (const c of parts) {
    for (let o = 0; o < c.length; o += size) yield c.subarray(o, Math.min(c.length, o + size));
  }
}

/** The input in pieces of at most `size` bytes (a push inflates all it is given at once), checking for an abort before each. */
export async function* inputPieces(data: AsyncIterable<Uint8Array>, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    for (let o = 0; o < chunk.length; o += size) {
      signal?.throwIfAborted();
      yield chunk.subarray(o, Math.min(chunk.length, o + size));
    }
  }
}
