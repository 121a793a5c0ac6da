/**
 * The key types of Borg 1.x (`crypto/key.py`), by the first byte of every stored object: how ids
 * are computed, how objects are protected, and where the key lives.
 */
export interface KeyType {
  /** `borg init -e` name. */
  readonly mode: 'keyfile' | 'repokey' | 'keyfile-blake2' | 'repokey-blake2' | 'authenticated' | 'authenticated-blake2' | 'none';
  /** The key blob: in the repository's config, in a key file, or none at all. */
  readonly storage: 'repokey' | 'keyfile' | 'none';
  /** Object id = keyed hash of the plaintext: HMAC-SHA256, BLAKE2b-256 over key‖data, or plain SHA-256. */
  readonly id: 'hmac-sha256' | 'blake2b' | 'sha256';
  /** AES-256-CTR with a MAC over nonce‖ciphertext (HMAC-SHA256 or BLAKE2b-256 over key‖data), or no encryption. */
  readonly mac?: 'hmac-sha256' | 'blake2b';
}

export const KEY_TYPES: Readonly<Record<number, KeyType>> = {
  0x00: { mode: 'keyfile', storage: 'keyfile', id: 'hmac-sha256', mac: 'hmac-sha256' },
  // Legacy PassphraseKey objects: borg reads them with the repokey that `borg migrate-to-repokey` made.
  0x01: { mode: 'repokey', storage: 'repokey', id: 'hmac-sha256', mac: 'hmac-sha256' },
  0x02: { mode: 'none', storage: 'none', id: 'sha256' },
  0x03: { mode: 'repokey', storage: 'repokey', id: 'hmac-sha256', mac: 'hmac-sha256' },
  0x04: { mode: 'keyfile-blake2', storage: 'keyfile', id: 'blake2b', mac: 'blake2b' },
  0x05: { mode: 'repokey-blake2', storage: 'repokey', id: 'blake2b', mac: 'blake2b' },
  0x06: { mode: 'authenticated-blake2', storage: 'repokey', id: 'blake2b' },
  0x07: { mode: 'authenticated', storage: 'repokey', id: 'hmac-sha256' },
};

/** Type bytes a key of type `t` also opens (a repokey reads the legacy 0x01 objects). */
export function sameKey(t: number, objectType: number): boolean {
  return t === objectType || (t === 0x03 && objectType === 0x01) || (t === 0x01 && objectType === 0x03);
}
