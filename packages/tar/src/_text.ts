const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Bytes up to the first NUL. */
export function cString(bytes: Uint8Array): Uint8Array {
  const end = bytes.indexOf(0);
  return end < 0 ? bytes : bytes.subarray(0, end);
}

/**
 * Names are bytes in tar. Valid UTF-8 (every PAX name, and nearly every GNU one) decodes as such;
 * anything else decodes byte-for-byte as Latin-1 so distinct names stay distinct (no U+FFFD).
 */
export function decodeName(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}
