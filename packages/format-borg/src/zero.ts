/** Whether every byte is zero: a word at a time over the 4-byte-aligned middle (holes of disk images are megabytes). */
export function isZero(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  while (i < n && (b.byteOffset + i) % 4 !== 0) if (b[i++] !== 0) return false;
  const words = (n - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
    for (let k = 0; k < words; k++) if (w[k] !== 0) return false;
    i += words * 4;
  }
  while (i < n) if (b[i++] !== 0) return false;
  return true;
}
