import {
  AuthenticationError, ByteReader, CorruptBackupError, concatBytes, equalBytes, type ByteStream, type ReadOptions,
} from '@qubes-backup/core';
import { SCRYPT_HEADER_SIZE, SCRYPT_MIN_UNIT_SIZE, SCRYPT_TRAILER_SIZE, type ScryptHeader } from './header.js';
import { keyMaterial, type ScryptKeys } from './keys.js';
import { PIECE_SIZE, readUnitHeader, type KeySource } from './unit.js';
import type { IncrementalMac } from './_primitives.js';

const changed = (what: string) => new AuthenticationError(`the scrypt unit changed between its two reads (${what})`);

/**
 * Decrypts one scrypt unit that can be read twice (`read()` gives it from the start each time),
 * holding one piece (1 MiB) instead of the whole unit. The first read authenticates the unit: the
 * HMAC over header and ciphertext against the trailer, recording the MAC of every prefix that ends
 * at a piece boundary. The second read MACs again and compares each prefix before decrypting that
 * piece, so only bytes the first read authenticated are ever decrypted, whatever the storage returns
 * the second time (a file changed meanwhile, a server that answers differently). The keys are wiped
 * when the stream ends or fails.
 */
export async function* decryptUnitTwice(read: () => ByteStream, getKeys: KeySource, opts: ReadOptions = {}): ByteStream {
  let keys: ScryptKeys | undefined;
  try {
    const first = await authenticate(read, getKeys, opts, (k) => { keys = k; });
    const m = keyMaterial(first.keys);
    const reader = new ByteReader(read());
    try {
      if (!equalBytes(await reader.read(SCRYPT_HEADER_SIZE), first.header.bytes)) throw changed('header');
      const mac = m.prims.hmacSha256(m.dk.subarray(32, 64));
      mac.update(first.header.bytes);
      const ctr = m.prims.aes256Ctr(m.dk.subarray(0, 32));
      for (let pos = 0, k = 0; pos < first.end; k++) {
        opts.signal?.throwIfAborted();
        const want = Math.min(PIECE_SIZE, first.end - pos);
        const piece = await reader.read(want);
        if (piece.length < want) throw changed(`it ended at byte ${SCRYPT_HEADER_SIZE + pos + piece.length}`);
        mac.update(piece);
        if (!equalBytes(mac.checkpoint(), first.checkpoints[k]!)) throw changed(`bytes ${SCRYPT_HEADER_SIZE + pos}..${SCRYPT_HEADER_SIZE + pos + want}`);
        pos += want;
        yield ctr.update(piece);
      }
    } finally {
      await reader.close();
    }
  } finally {
    keys?.wipe();
  }
}

interface Authenticated {
  readonly header: ScryptHeader;
  readonly keys: ScryptKeys;
  /** Ciphertext bytes (the body without its trailer). */
  readonly end: number;
  /** The MAC after each piece: at every multiple of PIECE_SIZE, and at `end`. */
  readonly checkpoints: readonly Uint8Array[];
}

/** The first read: streams the unit through its HMAC (the last 32 bytes held back: they are the tag). */
async function authenticate(read: () => ByteStream, getKeys: KeySource, opts: ReadOptions, onKeys: (k: ScryptKeys) => void): Promise<Authenticated> {
  const { signal, onProgress } = opts;
  const reader = new ByteReader(read());
  try {
    const header = await readUnitHeader(reader, opts);
    const keys = await getKeys(header);
    onKeys(keys);
    const m = keyMaterial(keys);
    const mac = m.prims.hmacSha256(m.dk.subarray(32, 64));
    mac.update(header.bytes);
    const fed = new PieceMac(mac);
    let tail = new Uint8Array(0);
    for (;;) {
      signal?.throwIfAborted();
      const c = await reader.readSome(PIECE_SIZE);
      if (c.length === 0) break;
      onProgress?.(c.length);
      if (c.length >= SCRYPT_TRAILER_SIZE) {
        fed.update(tail);
        fed.update(c.subarray(0, c.length - SCRYPT_TRAILER_SIZE));
        tail = c.slice(c.length - SCRYPT_TRAILER_SIZE);
      } else {
        const joined = concatBytes([tail, c]);
        const k = Math.max(0, joined.length - SCRYPT_TRAILER_SIZE);
        fed.update(joined.subarray(0, k));
        tail = joined.slice(k);
      }
    }
    if (tail.length < SCRYPT_TRAILER_SIZE) {
      throw new CorruptBackupError(`truncated scrypt unit: ${SCRYPT_HEADER_SIZE + tail.length} bytes, at least ${SCRYPT_MIN_UNIT_SIZE} needed`);
    }
    if (!equalBytes(fed.finish(), tail)) throw new AuthenticationError('scrypt HMAC does not verify (tampered or truncated)');
    return { header, keys, end: fed.length, checkpoints: fed.checkpoints };
  } finally {
    await reader.close();
  }
}

/** Feeds a MAC and records its checkpoints at every PIECE_SIZE bytes fed, and at the end. */
class PieceMac {
  length = 0;
  readonly checkpoints: Uint8Array[] = [];

  constructor(private readonly mac: IncrementalMac) {}

  update(bytes: Uint8Array): void {
    for (let o = 0; o < bytes.length;) {
      const k = Math.min(bytes.length - o, PIECE_SIZE - (this.length % PIECE_SIZE));
      this.mac.update(bytes.subarray(o, o + k));
      this.length += k;
      o += k;
      if (this.length % PIECE_SIZE === 0) this.checkpoints.push(this.mac.checkpoint());
    }
  }

  /** The MAC of everything; also the last checkpoint when the last piece is short (or there is none). */
  finish(): Uint8Array {
    const tag = this.mac.digest();
    if (this.length % PIECE_SIZE !== 0 || this.length === 0) this.checkpoints.push(tag);
    return tag;
  }
}
