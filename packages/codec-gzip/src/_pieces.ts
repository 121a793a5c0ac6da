/** Output pieces of at most `size` bytes (fflate hands over whatever one push inflated, up to MiBs at once). */
function* inPieces(parts: readonly Uint8Array[], size: number): Generator<Uint8Array> {
  for (const c of parts) {
    for (let o = 0; o < c.length; o += size) yield c.subarray(o, Math.min(c.length, o + size));
  }
}

/**
 * Output of one push above which the next input pieces are 1/16 the size: a push inflates all it
 * is given at once, so a decompression bomb's 16 KiB gave 16.5 MiB in one buffer, and fflate's
 * output buffers, doubling as they fill, held up to 102 MiB live at once (a zlib bomb in CI;
 * ~8 MiB with 1 KiB pieces). Ordinary data (a few times its size) keeps the full pieces: 4 KiB
 * pieces throughout decoded incompressible data 25 % slower.
 */
const LARGE_PUSH = 1 << 20;

/**
 * The input in pieces of at most `size` bytes (a push inflates all it is given at once), checking
 * for an abort before each; smaller after a push whose `output` was large.
 */
export async function* inputPieces(data: AsyncIterable<Uint8Array>, size: number, signal?: AbortSignal, output?: PushOutput): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    for (let o = 0; o < chunk.length;) {
      signal?.throwIfAborted();
      const n = output && output.lastPush > LARGE_PUSH ? size >> 4 : size;
      yield chunk.subarray(o, Math.min(chunk.length, o + n));
      o += n;
    }
  }
}

/** What fflate hands over during a push, passed on in pieces of at most `size` once the push returns. */
export class PushOutput {
  private parts: Uint8Array[] = [];
  /** Output bytes of the push drained last (see inputPieces). */
  lastPush = 0;

  constructor(private readonly size: number) {}

  add(chunk: Uint8Array): void {
    this.parts.push(chunk);
  }

  *drain(): Generator<Uint8Array> {
    const out = this.parts;
    this.parts = [];
    this.lastPush = out.reduce((n, c) => n + c.length, 0);
    yield* inPieces(out, this.size);
  }
}
