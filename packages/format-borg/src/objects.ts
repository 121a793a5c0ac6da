import { AuthenticationError, CorruptBackupError, concatBytes, equalBytes, type Registry } from '@qubes-backup/core';
import { decompress } from './compression.js';
import { KEY_TYPES, sameKey, type KeyType } from './key-types.js';
import type { KeyMaterial } from './keys.js';
import type { Repository } from './repository.js';

/** Objects are at most 20 MiB stored; their plaintext may be larger (borg's lz4 gives up at 128 MiB). */
const MAX_PLAINTEXT = 128 << 20;
/** What a chunk list says of a chunk: its plaintext and stored sizes. */
export interface ChunkSizes {
  readonly plain?: number;
  readonly stored?: number;
}

/** type(1) ‖ MAC(32) ‖ nonce(8) ‖ ciphertext. */
const ENVELOPE = 41;

/** A library error's message without the member it names (to name another one). */
export function reason(e: unknown): string {
  const err = e as { message?: string; member?: string };
  const m = err.message ?? String(e);
  return err.member && m.startsWith(`${err.member}: `) ? m.slice(err.member.length + 2) : m;
}

/** A failed object's error told again (`message`, about `member`): an AuthenticationError stays one, anything else is corruption. */
export function retold(e: unknown, message: string, member: string): Error {
  return (e as { code?: string }).code === 'E_AUTH'
    ? new AuthenticationError(message, { member, cause: e })
    : new CorruptBackupError(message, { member, cause: e });
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Turns a repository's stored objects into plaintext in borg's safe order (`crypto/key.py`,
 * `AESKeyBase.decrypt`): the type byte must be the key's; the MAC over nonce ‖ ciphertext is
 * verified before any byte is decrypted; the plaintext is decompressed; and its id is recomputed
 * from it (keyed, so a swapped or forged object cannot pass in authenticated-only modes either).
 * The manifest, whose id is fixed, is checked by its TAM instead.
 */
export class Objects {
  readonly type: KeyType;

  constructor(
    private readonly repo: Repository,
    private readonly registry: Registry,
    /** The key type byte of the repository (from the manifest). */
    readonly typeByte: number,
    private readonly key: KeyMaterial | undefined,
  ) {
    this.type = KEY_TYPES[typeByte]!;
  }

  /**
   * The plaintext of object `id`. A chunk list gives both sizes: `plain` is checked (and bounds the
   * decompressor), `stored` only saves a read.
   */
  async get(id: Uint8Array, what: string, sizes: ChunkSizes = {}): Promise<Uint8Array> {
    const expectedSize = sizes.plain;
    const stored = await this.repo.get(id, sizes.stored);
    if (!stored) throw new CorruptBackupError(`object ${hex(id)} is missing from the repository${this.repo.whyMissing()}`, { member: what });
    let plain: Uint8Array;
    try {
      plain = await this.open(stored, what, expectedSize);
    } catch (e) {
      throw await this.located(e, id, what);
    }
    if (!equalBytes(await this.idOf(plain), id)) {
      throw new AuthenticationError(`object ${hex(id)} (${await this.repo.location(id)}): its content does not hash to its id (tampered or damaged)`, { member: what });
    }
    return plain;
  }

  /** The same error, saying which object failed and where it is stored. */
  private async located(e: unknown, id: Uint8Array, what: string): Promise<unknown> {
    const code = (e as { code?: string }).code;
    if (code !== 'E_AUTH' && code !== 'E_CORRUPT' && code !== 'E_UNSUPPORTED') return e;
    return retold(e, `object ${hex(id)} (${await this.repo.location(id)}): ${reason(e)}`, what);
  }

  /** The manifest's plaintext (no id check: its id is 32 zero bytes; its TAM authenticates it). */
  manifest(stored: Uint8Array): Promise<Uint8Array> {
    return this.open(stored, 'manifest');
  }

  private async open(stored: Uint8Array, what: string, expectedSize?: number): Promise<Uint8Array> {
    if (stored.length < 1 || !sameKey(this.typeByte, stored[0]!)) {
      throw new AuthenticationError(`object of key type ${stored[0] ?? 'none'}, the repository's is ${this.typeByte} (invalid envelope)`, { member: what });
    }
    let payload = stored.subarray(1);
    if (this.type.mac) {
      if (stored.length < ENVELOPE) throw new CorruptBackupError('object shorter than its envelope', { member: what });
      const mac = stored.subarray(1, 33);
      const nonce = stored.subarray(33, 41);
      const body = stored.subarray(33);
      if (!equalBytes(await this.mac(body), mac)) throw new AuthenticationError('MAC does not verify (tampered or damaged object)', { member: what });
      const iv = concatBytes([new Uint8Array(8), nonce]);
      payload = await this.registry.get('stream-cipher', 'aes-256-ctr').decrypt(this.key!.encKey, iv, stored.subarray(ENVELOPE));
    }
    // A chunk list claiming more than borg can store is refused by the size check below, after at most MAX_PLAINTEXT.
    const exact = expectedSize !== undefined && expectedSize <= MAX_PLAINTEXT;
    const plain = await decompress(this.registry, payload, exact ? expectedSize : MAX_PLAINTEXT, what, exact);
    if (expectedSize !== undefined && plain.length !== expectedSize) {
      throw new CorruptBackupError(`object holds ${plain.length} bytes, its chunk list says ${expectedSize}`, { member: what });
    }
    return plain;
  }

  private mac(body: Uint8Array): Promise<Uint8Array> {
    return this.keyed(this.type.mac!, this.key!.encHmacKey, body);
  }

  /** The id borg gives this plaintext. */
  idOf(plain: Uint8Array): Promise<Uint8Array> {
    return this.keyed(this.type.id, this.key?.idKey, plain);
  }

  /**
   * HMAC-SHA256(key, data); BLAKE2b-256 over key ‖ data, not BLAKE2b's own keyed mode
   * (`low_level.pyx` blake2b_256); or plain SHA-256 (mode none).
   */
  private async keyed(kind: KeyType['id'], key: Uint8Array | undefined, data: Uint8Array): Promise<Uint8Array> {
    // HMAC one-shot: large chunks are hashed off the main thread (see Hash.hmacOf).
    if (kind === 'hmac-sha256') return this.registry.get('hash', 'sha256').hmacOf(key!, data);
    const h = this.registry.get('hash', kind === 'blake2b' ? 'blake2b-256' : 'sha256').create();
    if (kind === 'blake2b') h.update(key!);
    h.update(data);
    return h.digest();
  }
}
