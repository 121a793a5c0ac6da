// A test-only writer for damaged and hostile Borg repositories: copies of the real fixtures with
// bytes flipped, segments cut or removed, or a new transaction appended whose objects a test
// crafted (with the repository's own key, read back from its config with the passphrase).
import { createCipheriv, createHash, createHmac, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { defaultRegistry } from '@qubes-backup/all/node';
import { parseRepositoryConfig } from '../src/config.js';
import { decryptKeyBlob, fromBase64, type KeyMaterial } from '../src/keys.js';

export const TAG = { put: 0, delete: 1, commit: 2 } as const;

export interface Entry { offset: number; size: number; tag: number; key?: Buffer }

/** The repository's segment files, by number. */
export function segments(repo: string): { segment: number; path: string }[] {
  const out: { segment: number; path: string }[] = [];
  for (const d of readdirSync(join(repo, 'data'))) {
    for (const f of readdirSync(join(repo, 'data', d))) out.push({ segment: Number(f), path: join(repo, 'data', d, f) });
  }
  return out.sort((a, b) => a.segment - b.segment);
}

/** A segment's entries, parsed here independently of the code under test. */
export function entries(path: string): Entry[] {
  const b = readFileSync(path);
  const out: Entry[] = [];
  for (let o = 8; o + 9 <= b.length;) {
    const size = b.readUInt32LE(o + 4);
    const tag = b[o + 8]!;
    out.push({ offset: o, size, tag, ...(tag !== TAG.commit ? { key: b.subarray(o + 9, o + 41) } : {}) });
    o += size;
  }
  return out;
}

/** A private copy of a fixture repository. */
export function copyRepo(src: string, dest: string): string {
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** Flips one bit of a file at `at`; with `fixCrc`, the entry starting at `entry` gets a matching CRC again (so only the MAC or id can tell). */
export function flip(path: string, at: number, fixCrc?: Entry): void {
  const b = readFileSync(path);
  b[at]! ^= 0x01;
  if (fixCrc) b.writeUInt32LE(crc32(b.subarray(fixCrc.offset + 4, fixCrc.offset + fixCrc.size)), fixCrc.offset);
  writeFileSync(path, b);
}

/** One segment entry with its CRC (over everything after the CRC field). */
function entry(tag: number, key?: Uint8Array, data?: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.alloc(5), Buffer.from(key ?? []), Buffer.from(data ?? [])]);
  body.writeUInt32LE(body.length + 4, 0);
  body[4] = tag;
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([crc, body]);
}

/**
 * Appends a transaction, as a writer would: a new segment with these PUTs and DELETEs, then one
 * holding only a COMMIT. Returns the new transaction id (that last segment's number). The old
 * `index.N` no longer matches it, so readers replay the segments.
 */
export function appendTransaction(repo: string, puts: readonly { id: Uint8Array; data: Uint8Array }[], deletes: readonly Uint8Array[] = []): number {
  const last = segments(repo).at(-1)!;
  const dir = join(repo, 'data', String(Math.floor((last.segment + 1) / 1000)));
  const seg = (n: number, parts: Buffer[]) => writeFileSync(join(dir, String(n)), Buffer.concat([Buffer.from('BORG_SEG'), ...parts]));
  seg(last.segment + 1, [...deletes.map((id) => entry(TAG.delete, id)), ...puts.map((p) => entry(TAG.put, p.id, p.data))]);
  seg(last.segment + 2, [entry(TAG.commit)]);
  return last.segment + 2;
}

/** msgpack as borg writes it closely enough for a reader: maps, ints, byte strings (as bin). */
export const pack = (v: unknown): Uint8Array => new Encoder({ ignoreUndefined: true }).encode(v);

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** A repository's key, decrypted as borg does, to craft objects it accepts (MAC, id, TAM). */
export async function keyOf(repo: string, passphrase: string): Promise<KeyMaterial> {
  const config = parseRepositoryConfig(readFileSync(join(repo, 'config')));
  return decryptKeyBlob(defaultRegistry(), fromBase64(config.key!, 'config'), new TextEncoder().encode(passphrase));
}

/**
 * The repokey in `config` encrypted again under `passphrase` (as `borg key change-passphrase`
 * does): what a key someone put in place of the owner's, under a passphrase of theirs, looks like.
 */
export function rekey(repo: string, from: string, passphrase: string): void {
  const path = join(repo, 'config');
  const text = readFileSync(path, 'utf8');
  const config = parseRepositoryConfig(Buffer.from(text));
  // Borg packs byte strings as msgpack str: kept as bytes (its keys as text).
  const keyDecoder = { canBeCached: () => false, decode: (b: Uint8Array, at: number, n: number) => Buffer.from(b.subarray(at, at + n)).toString('latin1') };
  const blob = new Decoder({ rawStrings: true, keyDecoder }).decode(fromBase64(config.key!, 'config')) as Record<string, unknown>;
  // AES-CTR: the same keystream decrypts and encrypts.
  const ctr = (pass: string, bytes: Uint8Array) => {
    const c = createCipheriv('aes-256-ctr', pbkdf2Sync(pass, blob['salt'] as Uint8Array, blob['iterations'] as number, 32, 'sha256'), Buffer.alloc(16));
    return Buffer.concat([c.update(bytes), c.final()]);
  };
  const plain = ctr(from, blob['data'] as Uint8Array);
  const kek = pbkdf2Sync(passphrase, blob['salt'] as Uint8Array, blob['iterations'] as number, 32, 'sha256');
  const data = ctr(passphrase, plain);
  const key = Buffer.from(pack({ ...blob, data, hash: createHmac('sha256', kek).update(plain).digest() })).toString('base64');
  writeFileSync(path, text.replace(/^key = [^\n]*(\n\t[^\n]*)*/m, `key = ${key}`));
}

/** A stored object of a repokey (0x03, AES-256-CTR + HMAC-SHA256) repository, and its id. */
export function repokeyObject(key: KeyMaterial, plain: Uint8Array): { id: Uint8Array; data: Uint8Array } {
  const payload = Buffer.concat([Buffer.from([0, 0]), Buffer.from(plain)]);
  const nonce = randomBytes(8);
  const c = createCipheriv('aes-256-ctr', key.encKey, Buffer.concat([Buffer.alloc(8), nonce]));
  const ct = Buffer.concat([c.update(payload), c.final()]);
  const mac = createHmac('sha256', key.encHmacKey).update(nonce).update(ct).digest();
  return { id: createHmac('sha256', key.idKey).update(plain).digest(), data: Buffer.concat([Buffer.from([0x03]), mac, nonce, ct]) };
}

/** A stored object of a `none` (0x02) repository: no MAC, its id the SHA-256 of its plaintext. */
export function noneObject(plain: Uint8Array): { id: Uint8Array; data: Uint8Array } {
  return { id: sha256(plain), data: Buffer.concat([Buffer.from([0x02, 0, 0]), Buffer.from(plain)]) };
}

/** Packs metadata with a TAM as borg does (HMAC-SHA512 over the packing with a zeroed hmac); `key` undefined for mode none. */
export function withTam(meta: Record<string, unknown>, key: KeyMaterial | undefined, context: 'manifest' | 'archive'): Uint8Array {
  const salt = randomBytes(64);
  const tamKey = key
    ? Buffer.from(hkdfSync('sha512', Buffer.concat([key.idKey, key.encKey, key.encHmacKey]), salt, `borg-metadata-authentication-${context}`, 64))
    : Buffer.concat([salt, Buffer.from(context)]);
  const zero = pack({ ...meta, tam: { type: 'HKDF_HMAC_SHA512', hmac: new Uint8Array(64), salt } });
  const hmac = createHmac('sha512', tamKey).update(zero).digest();
  return pack({ ...meta, tam: { type: 'HKDF_HMAC_SHA512', hmac, salt } });
}

export function size(path: string): number {
  return statSync(path).size;
}
