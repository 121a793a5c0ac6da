import { AuthenticationError, CorruptBackupError, concatBytes, equalBytes, type Registry } from '@qubes-backup/core';
import type { KeyMaterial } from './keys.js';
import { isMap, type MsgMap } from './msgpack.js';

/** What a TAM said about a manifest or archive: verified, or absent. A wrong one throws. */
export type TamStatus = 'verified' | 'missing';

/**
 * Checks the TAM of a manifest or archive (`crypto/key.py` unpack_and_verify_*) as borg does, on
 * the decompressed bytes it unpacked: the first occurrence of the stored 64-byte HMAC is zeroed in
 * a copy, and HMAC-SHA512 over the whole copy, keyed with HKDF-SHA512(id_key ‖ enc_key ‖
 * enc_hmac_key, salt, "borg-metadata-authentication-" + context), must equal it. Without a key
 * (mode none) the HMAC key is salt ‖ context, which anyone can compute.
 */
export async function verifyTam(
  registry: Registry, plain: Uint8Array, unpacked: MsgMap, key: KeyMaterial | undefined, context: 'manifest' | 'archive', what: string,
): Promise<TamStatus> {
  const tam = unpacked['tam'];
  if (tam === undefined) return 'missing';
  const bad = (why: string) => new AuthenticationError(`${context} authentication (TAM) does not verify: ${why}`, { member: what });
  if (!isMap(tam)) throw bad('its TAM is not a map');
  const type = tam['type'];
  if (!(type instanceof Uint8Array) || new TextDecoder().decode(type) !== 'HKDF_HMAC_SHA512') {
    throw new CorruptBackupError(`${context} TAM of an unknown kind (a newer Borg?)`, { member: what });
  }
  const hmac = tam['hmac'];
  const salt = tam['salt'];
  if (!(hmac instanceof Uint8Array) || hmac.length !== 64 || !(salt instanceof Uint8Array)) throw bad('its hmac or salt is not 64 bytes');
  const at = indexOf(plain, hmac);
  if (at < 0) throw bad('the stored hmac is not in the data');
  const copy = new Uint8Array(plain); // a copy even of a Buffer (whose slice() is a view)
  copy.fill(0, at, at + 64);
  const info = new TextEncoder().encode(`borg-metadata-authentication-${context}`);
  const tamKey = key
    ? await registry.get('kdf', 'hkdf-sha512').derive(concatBytes([key.idKey, key.encKey, key.encHmacKey]), { salt, info, length: 64 })
    : concatBytes([salt, new TextEncoder().encode(context)]);
  const h = registry.get('hash', 'sha512').hmac(tamKey);
  h.update(copy);
  if (!equalBytes(h.digest(), hmac)) throw bad('tampered, or written by a borg older than 1.2.5 that renamed or recreated it');
  return 'verified';
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
