import { ByteReader, equalBytes, type ByteStream, type Registry } from '@qubes-backup/core';

/** Both reads are cut into windows at the same offsets, so their fingerprints compare. */
const WINDOW = 1 << 20;

/** A keyed fingerprint of one window, under a key drawn for one chunk's two reads. */
export type Fingerprint = (window: Uint8Array) => Uint8Array;

/**
 * A fresh fingerprint for each chunk read twice: the registry's `read-twice` fingerprint (GMAC on
 * Node, HMAC-SHA256 in pure JS, under a random key), so bytes changed between the reads cannot be
 * made to match, whoever changes them. Undefined without one: chunks are then held until their HMAC verifies.
 */
export function windowPrints(registry: Registry): (() => Fingerprint) | undefined {
  if (!registry.has('fingerprint', 'read-twice')) return undefined;
  const fingerprints = registry.get('fingerprint', 'read-twice');
  return () => fingerprints.create();
}

/** A stream cut into windows of exactly WINDOW bytes (the last one shorter). */
async function* windows(stream: ByteStream): ByteStream {
  const reader = new ByteReader(stream);
  try {
    for (;;) {
      const w = await reader.read(WINDOW);
      if (w.length > 0) yield w;
      if (w.length < WINDOW) return;
    }
  } finally {
    await reader.close();
  }
}

/** The first read: its windows pass on unchanged, each one's fingerprint noted in `prints`. */
export async function* noted(stream: ByteStream, prints: Uint8Array[], fingerprint: Fingerprint): ByteStream {
  for await (const w of windows(stream)) {
    prints.push(fingerprint(w));
    yield w;
  }
}

/**
 * The second read: each window passes on only once its fingerprint equals the first read's, so a
 * byte that changed between the reads (a file rewritten, a device answering differently) is never
 * passed on; `changed` makes the error.
 */
export async function* checkedAgain(stream: ByteStream, prints: readonly Uint8Array[], fingerprint: Fingerprint, changed: () => Error): ByteStream {
  let i = 0;
  for await (const w of windows(stream)) {
    if (i >= prints.length || !equalBytes(fingerprint(w), prints[i]!)) throw changed();
    i++;
    yield w;
  }
  if (i !== prints.length) throw changed();
}
