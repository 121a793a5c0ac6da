import { createCipheriv, createHash, createHmac, scryptSync } from 'node:crypto';
import { enc } from './bytes.js';
import { randomBytes } from './random.js';

/**
 * A test-only `scrypt enc` writer (node:crypto): a unit made from any plaintext, so tests can build
 * hostile but authentic format-4 chunks (they know the passphrase) without the scrypt CLI. The
 * committed fixtures from the real CLI check that it matches the real layout (cipher-scrypt tests).
 */
export function encryptUnit(plain: Uint8Array, pass: Uint8Array, logN = 10, r = 8, p = 1, salt = randomBytes(32, 7)): Uint8Array {
  const N = 2 ** logN;
  const dk = scryptSync(pass, salt, 64, { N, r, p, maxmem: 128 * N * r * p + 2 ** 26 });
  const head = new Uint8Array(96);
  head.set(enc('scrypt'), 0);
  head[7] = logN;
  const v = new DataView(head.buffer);
  v.setUint32(8, r);
  v.setUint32(12, p);
  head.set(salt, 16);
  head.set(createHash('sha256').update(head.subarray(0, 48)).digest().subarray(0, 16), 48);
  head.set(createHmac('sha256', dk.subarray(32)).update(head.subarray(0, 64)).digest(), 64);
  const c = createCipheriv('aes-256-ctr', dk.subarray(0, 32), new Uint8Array(16));
  const body = Buffer.concat([c.update(plain), c.final()]);
  const mac = createHmac('sha256', dk.subarray(32)).update(head).update(body).digest();
  return new Uint8Array(Buffer.concat([head, body, mac]));
}

/**
 * A format-4 chunk `<stem>.enc` holding `plain`: scrypt-encrypted with the chunk's own passphrase
 * `<backup-id>!<stem>!<passphrase>` (cheap parameters: logN 10), as qvm-backup would write it.
 */
export function v4Chunk(plain: Uint8Array, o: { backupId: string; stem: string; passphrase?: string; logN?: number }): Uint8Array {
  return encryptUnit(plain, enc(`${o.backupId}!${o.stem}!${o.passphrase ?? 'qubes'}`), o.logN ?? 10);
}
