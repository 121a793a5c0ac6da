import {
  CorruptBackupError, UnsupportedError, WrongPassphraseError, equalBytes, type Registry,
} from '@qubes-backup/core';
import { field, isMap, unpack } from './msgpack.js';

/** The secrets of a repository, as decrypted from its key blob. */
export interface KeyMaterial {
  readonly repositoryId: Uint8Array;
  /** AES-256 key (32 bytes). */
  readonly encKey: Uint8Array;
  /** MAC key: 32 bytes (HMAC-SHA256), 128 (BLAKE2b: 64 random + 64 zero). */
  readonly encHmacKey: Uint8Array;
  /** Id key: as the MAC key. */
  readonly idKey: Uint8Array;
  /** Whether manifests must carry a TAM (keys made by borg 1.0.9 and later say so). */
  readonly tamRequired: boolean;
}

const WHAT = 'key';
/** Borg writes 100000; a hostile blob must not make us spin for hours. */
const MAX_ITERATIONS = 10_000_000;

/**
 * Decrypts a key blob (the msgpack `EncryptedKey`, as the base64 of a repokey or key file or the
 * bytes of a paper key hold it): KEK = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32); the
 * plaintext is AES-256-CTR(KEK, IV 0) of `data` and must match `hash` = HMAC-SHA256(KEK, plaintext)
 * (`crypto/key.py` decrypt_key_file). A mismatch is a wrong passphrase.
 */
export async function decryptKeyBlob(registry: Registry, blob: Uint8Array, passphrase: Uint8Array): Promise<KeyMaterial> {
  const outer = unpack(blob, WHAT);
  if (!isMap(outer)) throw new CorruptBackupError('the key blob is not a map', { member: WHAT });
  const f = field(outer, WHAT);
  if (f.int('version') !== 1) throw new UnsupportedError(`encrypted key version ${f.int('version')} is not supported`, { member: WHAT });
  const algorithm = new TextDecoder().decode(f.bytes('algorithm'));
  if (algorithm !== 'sha256') throw new UnsupportedError(`encrypted key algorithm '${algorithm}' is not supported (Borg 2 keys are not)`, { member: WHAT });
  const iterations = f.int('iterations');
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new CorruptBackupError(`key iterations ${iterations} out of range`, { member: WHAT });
  const salt = f.bytes('salt');
  const hash = f.bytes('hash');
  const data = f.bytes('data');
  const kek = await registry.get('kdf', 'pbkdf2-sha256').derive(passphrase, { salt, iterations, length: 32 });
  try {
    const plain = await registry.get('stream-cipher', 'aes-256-ctr').decrypt(kek, new Uint8Array(16), data);
    const mac = registry.get('hash', 'sha256').hmac(kek);
    mac.update(plain);
    if (!equalBytes(mac.digest(), hash)) throw new WrongPassphraseError('wrong passphrase (the repository key does not decrypt)', { member: WHAT });
    return keyMaterial(plain);
  } finally {
    kek.fill(0);
  }
}

function keyMaterial(plain: Uint8Array): KeyMaterial {
  const key = unpack(plain, WHAT);
  if (!isMap(key)) throw new CorruptBackupError('the decrypted key is not a map', { member: WHAT });
  const f = field(key, WHAT);
  if (f.int('version') !== 1) throw new UnsupportedError(`key version ${f.int('version')} is not supported`, { member: WHAT });
  const tam = key['tam_required'];
  return {
    repositoryId: f.bytes('repository_id'),
    encKey: f.bytes('enc_key'),
    encHmacKey: f.bytes('enc_hmac_key'),
    idKey: f.bytes('id_key'),
    tamRequired: tam === true,
  };
}

/** base64 as borg's `a2b_base64` reads it: whitespace and line breaks anywhere are ignored. */
export function fromBase64(text: string, what: string): Uint8Array {
  const clean = text.replace(/[\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new CorruptBackupError('the key is not base64', { member: what });
  const bin = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A key file's text: `BORG_KEY <64 hex repository id>`, then the base64 blob (borg `KeyfileKey.sanity_check`). */
export function parseKeyFile(text: string, what: string): { repositoryId: string; blob: Uint8Array } {
  const lines = text.split(/\r?\n/);
  const m = /^BORG_KEY ([0-9a-f]{64})\s*$/.exec(lines[0] ?? '');
  if (!m) throw new CorruptBackupError("not a Borg key file (its first line is not 'BORG_KEY <repository id>')", { member: what });
  return { repositoryId: m[1]!, blob: fromBase64(lines.slice(1).join(''), what) };
}
