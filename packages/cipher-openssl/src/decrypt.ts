import {
  ByteReader, CorruptBackupError, assertBytes, type ByteStream, type Cipher, type ReadOptions,
} from '@qubes-backup/core';
import { evpBytesToKey } from './evp-bytes-to-key.js';
import type { OpensslCipherSpec } from './ciphers.js';
import type { OpensslDigest, OpensslPrimitives } from './_primitives.js';

const SALTED = [0x53, 0x61, 0x6c, 0x74, 0x65, 0x64, 0x5f, 0x5f]; // "Salted__"
/** Input is fed in pieces of this size (a multiple of 16), so no output piece exceeds 1 MiB. */
const IN_PIECE = 1024 * 1024 - 16;

/**
 * Decrypts an `openssl enc` stream: `Salted__`, an 8-byte salt, then the ciphertext of the whole
 * stream (all chunks of a format-3 archive concatenated). Streams with bounded memory.
 */
export async function* decryptOpenssl(
  prims: OpensslPrimitives,
  spec: OpensslCipherSpec,
  digest: OpensslDigest,
  data: ByteStream,
  passphrase: Uint8Array,
  opts: ReadOptions = {},
): ByteStream {
  const { signal, onProgress } = opts;
  const reader = new ByteReader(data);
  let key: Uint8Array | undefined;
  let iv: Uint8Array | undefined;
  try {
    signal?.throwIfAborted();
    const head = await reader.read(16);
    if (head.length < 16 || SALTED.some((b, i) => head[i] !== b)) {
      throw new CorruptBackupError('no Salted__ header (not openssl enc output, or not encrypted)');
    }
    onProgress?.(16);
    ({ key, iv } = evpBytesToKey((d) => prims.hash(digest, d), passphrase, head.subarray(8, 16), spec.keyLength, spec.ivLength));
    const dec = prims.decryptor(spec, key, iv);
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const c = await reader.readSome(IN_PIECE);
      if (c.length === 0) break;
      total += c.length;
      const out = dec.update(c);
      onProgress?.(c.length);
      if (out.length > 0) yield out;
    }
    if (spec.padded && (total === 0 || total % 16 !== 0)) {
      throw new CorruptBackupError(
        `${spec.name} ciphertext of ${total} bytes is not a positive multiple of 16 (truncated or corrupt)`,
      );
    }
    const last = dec.final();
    if (last.length > 0) yield last;
  } finally {
    key?.fill(0);
    iv?.fill(0);
    await reader.close();
  }
}

export function makeOpensslCipher(prims: OpensslPrimitives, spec: OpensslCipherSpec, digest: OpensslDigest): Cipher {
  return {
    info: { kind: 'cipher', name: spec.name, backend: prims.backend },
    decrypt(data: ByteStream, passphrase: Uint8Array, opts?: ReadOptions): ByteStream {
      assertBytes(passphrase, 'passphrase');
      return decryptOpenssl(prims, spec, digest, data, passphrase, opts);
    },
  };
}
