import {
  AuthenticationError, ByteReader, CorruptBackupError, assertSafeInteger, concatBytes, equalBytes, once,
  type ByteStream, type Cipher, type ReadOptions,
} from '@qubes-backup/core';
import {
  SCRYPT_HEADER_SIZE, SCRYPT_MIN_UNIT_SIZE, SCRYPT_TRAILER_SIZE, looksLikeScrypt, parseScryptHeader,
  type ScryptHeader,
} from './header.js';
import { keyMaterial, type ScryptKeys } from './keys.js';
import type { IncrementalMac } from './_primitives.js';

/** Default bound on one buffered unit (a Qubes chunk is 100 MiB + 128 bytes). */
export const DEFAULT_MAX_UNIT_SIZE = 128 * 1024 * 1024;
/** Largest piece read or yielded at once; a multiple of the AES block. */
export const PIECE_SIZE = 1024 * 1024;

/** What `Cipher.decrypt` is given: read options, and how to read the unit again (`reread`). */
type DecryptOptions = NonNullable<Parameters<Cipher['decrypt']>[2]>;

export interface UnitOptions extends DecryptOptions {
  /**
   * Largest unit (header + ciphertext + trailer) accepted when the body must be buffered until the
   * trailer verifies (no `reread`, or a backend whose MAC is one-shot).
   */
  maxUnitSize?: number;
}

export function checkMaxUnitSize(n: number): void {
  assertSafeInteger(n, 'maxUnitSize', SCRYPT_MIN_UNIT_SIZE);
}

/** Produces the keys for a parsed header; called as soon as the header is in. */
export type KeySource = (header: ScryptHeader) => Promise<ScryptKeys>;

const EMPTY = new Uint8Array(0);

/**
 * Ciphertext given to a one-shot AES-CTR at once: a multiple of the AES block. Small enough that
 * Chromium serves its copies from pooled memory (fresh pages cost ~4 ms per MiB to fault in on a VM):
 * a 147 MiB image saved in 4.0-4.6 s with 256 KiB, 4.9-5.0 s with 1 MiB, 5.3-5.7 s with 8 MiB.
 */
const SLICE_SIZE = 256 * 1024;

/**
 * A one-shot AES-CTR (WebCrypto) over `cipherText` in slices, each started before the one before it
 * is passed on: the host decrypts beside the consumer (WebCrypto works off the page's thread), and
 * no buffer as large as the unit is made for the plaintext.
 */
async function* decryptInSlices(
  decrypt: (data: Uint8Array, firstBlock: number) => Promise<Uint8Array>, cipherText: Uint8Array, signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const start = (o: number): Promise<Uint8Array> => {
    const p = decrypt(cipherText.subarray(o, Math.min(cipherText.length, o + SLICE_SIZE)), o / 16);
    p.catch(() => {}); // awaited below, unless the consumer stops first
    return p;
  };
  let next = cipherText.length > 0 ? start(0) : undefined;
  for (let o = 0; next; o += SLICE_SIZE) {
    const plain = await next;
    next = o + SLICE_SIZE < cipherText.length ? start(o + SLICE_SIZE) : undefined;
    for (let i = 0; i < plain.length; i += PIECE_SIZE) {
      signal?.throwIfAborted();
      yield plain.subarray(i, Math.min(plain.length, i + PIECE_SIZE));
    }
  }
}

/** The buffered body (everything after the header) as a list of parts, with a cursor for the MAC. */
class Body {
  readonly parts: Uint8Array[] = [];
  length = 0;
  private macPart = 0;
  private macOffset = 0;
  private macPos = 0;

  push(c: Uint8Array): void {
    this.parts.push(c);
    this.length += c.length;
  }

  /** Feeds body bytes [macPos, end) to the MAC. */
  macUpTo(mac: IncrementalMac, end: number): void {
    while (this.macPos < end) {
      const part = this.parts[this.macPart]!;
      const k = Math.min(part.length - this.macOffset, end - this.macPos);
      mac.update(part.subarray(this.macOffset, this.macOffset + k));
      this.macPos += k;
      this.macOffset += k;
      if (this.macOffset === part.length) { this.macPart++; this.macOffset = 0; }
    }
  }

  /**
   * Body bytes [start, end) as pieces of at most `size` bytes; views where possible, copies across
   * parts. With `release`, parts already passed are dropped, so a 100 MiB chunk's ciphertext is freed
   * as its plaintext is consumed instead of all at the end.
   */
  *pieces(start: number, end: number, size: number, release = false): Generator<Uint8Array> {
    let i = 0;
    let partStart = 0;
    let pos = start;
    while (pos < end) {
      while (partStart + this.parts[i]!.length <= pos) {
        partStart += this.parts[i]!.length;
        if (release) this.parts[i] = EMPTY;
        i++;
      }
      const want = Math.min(size, end - pos);
      const part = this.parts[i]!;
      const off = pos - partStart;
      if (off + want <= part.length) {
        yield part.subarray(off, off + want);
      } else {
        const out = new Uint8Array(want);
        let o = 0;
        let j = i;
        let jo = off;
        while (o < want) {
          const p = this.parts[j]!;
          const k = Math.min(p.length - jo, want - o);
          out.set(p.subarray(jo, jo + k), o);
          o += k;
          j++;
          jo = 0;
        }
        yield out;
      }
      pos += want;
    }
  }

  /** Body bytes [start, end) copied into `out` at `at` (one copy, straight from the parts). */
  copyInto(out: Uint8Array, at: number, start: number, end: number): void {
    let partStart = 0;
    for (const part of this.parts) {
      const from = Math.max(start, partStart);
      const to = Math.min(end, partStart + part.length);
      if (from < to) out.set(part.subarray(from - partStart, to - partStart), at + from - start);
      partStart += part.length;
      if (partStart >= end) break;
    }
  }

  range(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    this.copyInto(out, 0, start, end);
    return out;
  }
}

/** The unit truncated before its trailer could be read. */
function truncatedUnit(length: number): CorruptBackupError {
  return new CorruptBackupError(`truncated scrypt unit: ${length} bytes, at least ${SCRYPT_MIN_UNIT_SIZE} needed`);
}

const notVerified = (): AuthenticationError => new AuthenticationError('scrypt HMAC does not verify (tampered or truncated)');

/** Windows of the two-read path: both reads are cut at the same offsets, so their fingerprints compare. */
const WINDOW = PIECE_SIZE;

/**
 * The body read twice instead of held: the first read feeds the MAC and notes a keyed fingerprint
 * of each window; only once the trailer verified does the second read (`reread`) decrypt, each
 * window compared with its fingerprint before a byte of it is decrypted, so bytes that changed
 * between the reads (a file rewritten, a device answering differently) are refused, never passed
 * on. Memory: one window, whatever the unit's size.
 */
async function* readTwice(
  reader: ByteReader, header: ScryptHeader, keys: ScryptKeys,
  reread: NonNullable<DecryptOptions['reread']>, fingerprint: NonNullable<DecryptOptions['fingerprint']>, opts: ReadOptions,
): ByteStream {
  const { signal, onProgress } = opts;
  const m = keyMaterial(keys);
  const mac = m.prims.hmacSha256(m.dk.subarray(32, 64));
  mac.update(header.bytes);
  const prints: Uint8Array[] = [];
  // The last 32 bytes read so far: held back from the MAC, they are its tag once the body ends.
  let tail: Uint8Array = EMPTY;
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const w = await reader.read(WINDOW);
    if (w.length === 0) break;
    prints.push(fingerprint(w));
    onProgress?.(w.length);
    total += w.length;
    const joined = w.length >= SCRYPT_TRAILER_SIZE ? w : concatBytes([tail, w]);
    if (joined === w) mac.update(tail);
    const cut = Math.max(0, joined.length - SCRYPT_TRAILER_SIZE);
    mac.update(joined.subarray(0, cut));
    tail = joined.slice(cut);
    if (w.length < WINDOW) break;
  }
  if (total < SCRYPT_TRAILER_SIZE) throw truncatedUnit(SCRYPT_HEADER_SIZE + total);
  if (!equalBytes(mac.digest(), tail)) throw notVerified();

  const changed = () => new AuthenticationError('scrypt unit read again gave other bytes than the ones authenticated (changed while being read): not decrypted');
  const end = total - SCRYPT_TRAILER_SIZE;
  const again = new ByteReader(reread(signal ? { signal } : {}));
  try {
    if (!equalBytes(await again.read(SCRYPT_HEADER_SIZE), header.bytes)) throw changed();
    const ctr = m.prims.aes256Ctr(m.dk.subarray(0, 32));
    for (let i = 0, pos = 0; i < prints.length; i++) {
      signal?.throwIfAborted();
      const w = await again.read(WINDOW);
      if (!equalBytes(fingerprint(w), prints[i]!)) throw changed();
      const n = Math.min(w.length, end - pos);
      pos += w.length;
      if (n > 0) yield ctr.update(w.subarray(0, n));
    }
  } finally {
    await again.close();
  }
}

/**
 * Decrypts one scrypt unit; no plaintext is yielded before the trailer HMAC verified. With
 * `reread`, a `fingerprint` and an incremental MAC, the unit is read twice (see `readTwice`) and never held.
 * Otherwise the KDF starts when the header is in and runs while the body is read; the body is
 * buffered (bounded by maxUnitSize) and MACed as soon as the keys exist. The keys are wiped when
 * the stream ends or fails.
 */
export async function* decryptUnit(
  data: ByteStream | Uint8Array,
  getKeys: KeySource,
  opts: UnitOptions = {},
): ByteStream {
  const maxUnitSize = opts.maxUnitSize ?? DEFAULT_MAX_UNIT_SIZE;
  checkMaxUnitSize(maxUnitSize);
  const { signal, onProgress } = opts;
  const reader = new ByteReader(data instanceof Uint8Array ? once(data) : data);
  let finished = false;
  let keys: ScryptKeys | undefined;
  try {
    signal?.throwIfAborted();
    const head = await reader.read(SCRYPT_HEADER_SIZE);
    if (head.length < SCRYPT_HEADER_SIZE && looksLikeScrypt(head)) throw truncatedUnit(head.length);
    const header = parseScryptHeader(head);
    onProgress?.(head.length);

    let keyError: unknown;
    let failed = false;
    const keysPromise = getKeys(header);
    keysPromise.then(
      (k) => { if (finished) k.wipe(); else keys = k; },
      (e: unknown) => { failed = true; keyError = e; },
    );
    if (opts.reread && opts.fingerprint) {
      // Nothing is held while the key is derived: the first read needs the MAC key, so it waits for it
      // (usually derived ahead already) instead of reading the body meanwhile as the buffered path does.
      keys = await keysPromise;
      // A one-shot MAC (WebCrypto) needs the whole unit at once anyway: buffered below.
      if (!keyMaterial(keys).prims.hmacSha256Of) {
        yield* readTwice(reader, header, keys, opts.reread, opts.fingerprint, opts);
        return;
      }
    }

    const body = new Body();
    let mac: IncrementalMac | undefined;
    let oneShotMac: boolean | undefined;
    const startMac = (k: ScryptKeys): IncrementalMac => {
      const m = keyMaterial(k);
      const h = m.prims.hmacSha256(m.dk.subarray(32, 64));
      h.update(header.bytes);
      return h;
    };
    for (;;) {
      signal?.throwIfAborted();
      const c = await reader.readSome(PIECE_SIZE);
      if (failed) throw keyError;
      if (c.length === 0) break;
      if (SCRYPT_HEADER_SIZE + body.length + c.length > maxUnitSize) {
        throw new CorruptBackupError(`scrypt unit is larger than the maxUnitSize limit of ${maxUnitSize} bytes`);
      }
      body.push(c);
      onProgress?.(c.length);
      // A backend with a one-shot HMAC is given the whole unit at the end instead.
      if (keys !== undefined && (oneShotMac ??= keyMaterial(keys).prims.hmacSha256Of !== undefined) === false) {
        mac ??= startMac(keys);
        body.macUpTo(mac, Math.max(0, body.length - SCRYPT_TRAILER_SIZE));
      }
    }
    keys = await keysPromise;
    if (body.length < SCRYPT_TRAILER_SIZE) throw truncatedUnit(SCRYPT_HEADER_SIZE + body.length);
    const end = body.length - SCRYPT_TRAILER_SIZE;
    const m = keyMaterial(keys);
    const tag = body.range(end, body.length);
    let cipherText: Uint8Array | undefined;
    if (m.prims.hmacSha256Of) {
      // One-shot: the header and the ciphertext as one buffer (the incremental MAC was not started).
      const all = new Uint8Array(SCRYPT_HEADER_SIZE + end);
      all.set(header.bytes);
      body.copyInto(all, SCRYPT_HEADER_SIZE, 0, end);
      if (!equalBytes(await m.prims.hmacSha256Of(m.dk.subarray(32, 64), all), tag)) throw notVerified();
      cipherText = all.subarray(SCRYPT_HEADER_SIZE);
    } else {
      mac ??= startMac(keys);
      body.macUpTo(mac, end);
      if (!equalBytes(mac.digest(), tag)) throw notVerified();
    }

    if (m.prims.aes256CtrOf) {
      cipherText ??= body.range(0, end);
      body.parts.length = 0;
      yield* decryptInSlices(m.prims.aes256CtrOf.bind(m.prims, m.dk.subarray(0, 32)), cipherText, signal);
      return;
    }
    const ctr = m.prims.aes256Ctr(m.dk.subarray(0, 32));
    for (const piece of body.pieces(0, end, PIECE_SIZE, true)) {
      signal?.throwIfAborted();
      yield ctr.update(piece);
    }
  } finally {
    finished = true;
    keys?.wipe();
    await reader.close();
  }
}
