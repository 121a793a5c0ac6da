// Types for the two internal modules of unbzip2-stream 1.4.x that this package drives directly.
declare module 'unbzip2-stream/lib/bzip2.js' {
  /** Reads `n` bits (MSB first); `null` skips to the next byte boundary. */
  type Bits = (n: number | null) => number;
  const bzip2: {
    /** Reads a stream header (`BZh1`..`BZh9`), returns the level (block size / 100 kB). */
    header(bits: Bits): number;
    /**
     * Decodes one block, calling `out` per byte; returns the running stream CRC, or null at the
     * end-of-stream marker (after checking the stream CRC and aligning to a byte).
     */
    decompress(bits: Bits, out: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number | null): number | null;
  };
  export default bzip2;
}

declare module 'unbzip2-stream/lib/bit_iterator.js' {
  interface BitReader {
    (n: number | null): number;
    /** Bytes the reader has started to read. */
    bytesRead: number;
  }
  export default function bitIterator(nextBuffer: () => Uint8Array): BitReader;
}
