import {
  AuthenticationError, CorruptBackupError, UnsupportedError, WrongPassphraseError, utf8,
  type ReadOptions, type Registry, type StreamCipher,
} from '@qubes-backup/core';

/**
 * Wyng's cipher modes (`ci = XX`): the data cipher and the metadata cipher. Every data mode
 * decrypts alike (XChaCha20, nonce ‖ ciphertext) and every metadata mode too (XChaCha20-Poly1305,
 * nonce ‖ tag ‖ ciphertext); they differ in how nonces were made, and in whether data hashes are
 * keyed (`mhash`: HMAC-SHA256 with a subkey) and which salt length keys take.
 */
const MODES: Readonly<Record<string, { data: string; metadata: string; mhash: boolean; shortSalt: boolean }>> = {
  '30': { data: 'xchacha20', metadata: 'xchacha20-poly1305', mhash: false, shortSalt: true },
  '32': { data: 'xchacha20-ct', metadata: 'xchacha20-poly1305-ct', mhash: true, shortSalt: false },
  '34': { data: 'xchacha20-msr', metadata: 'xchacha20-poly1305-msr', mhash: true, shortSalt: false },
  '35': { data: 'xchacha20-dgr', metadata: 'xchacha20-poly1305-msr', mhash: true, shortSalt: false },
};

/** archive.salt: slots of a 10-byte counter and a 64-byte salt, 80 bytes apart (`src/wyng` get_slot_offset). */
const SLOT = 80;
const COUNTER = 10;
const SALT = 64;
/** Slot 4 holds the salts' BLAKE2b-512 encrypted with the metadata key at arch-init: nonce, tag, 64 bytes. */
const CHECK_AT = 4 * SLOT;
export const NONCE = 24;
export const TAG = 16;

/** The scrypt parameters Wyng derives both keys with (`derive_key`). */
const SCRYPT = { cost: 2 ** 19, blockSize: 8, parallelism: 1, length: 32 } as const;

export function cipherModes(ci: string): { data: string; metadata: string } | undefined {
  const m = MODES[ci];
  return m ? { data: m.data, metadata: m.metadata } : undefined;
}

/** Bytes one derivation takes (scrypt's V array: 128·N·r). */
const SCRYPT_MEMORY = 128 * SCRYPT.cost * SCRYPT.blockSize;

type DataKeys = { key: Uint8Array; mhash?: Uint8Array };

/**
 * The keys of an encrypted archive: the metadata key (slot 1's salt), derived at open and checked
 * against slot 4, and the data key (slot 0) with its manifest-hash subkey (slot 3, HKDF-SHA512).
 * scrypt at N = 2^19, r = 8 takes 512 MiB and a second or two each time. With a second core and
 * room for two derivations, the data key is derived alongside the metadata key (a restore needs
 * both; one after the other was a third of a 1 GiB volume's restore); otherwise when the first
 * chunk is read.
 */
export class WyngKeys {
  private constructor(
    private readonly registry: Registry,
    private readonly ci: string,
    private readonly salts: Uint8Array,
    private readonly passphrase: Uint8Array,
    private readonly metaKey: Uint8Array,
    private readonly aead: StreamCipher,
    private readonly stream: StreamCipher,
    private dataKeys: Promise<DataKeys> | undefined,
  ) {}

  /**
   * Derives the metadata key and proves it on the salt file's check (slot 4), so a wrong
   * passphrase is told apart from a modified archive.ini. Without a check slot, archive.ini itself
   * decides (and a failure there is taken as a wrong passphrase).
   */
  static async open(
    registry: Registry, ci: string, salts: Uint8Array, passphrase: Uint8Array, opts: ReadOptions = {},
    resources?: { readonly cores: number; readonly memory: number },
  ): Promise<{ keys: WyngKeys; checked: boolean }> {
    const mode = MODES[ci];
    if (!mode) throw new UnsupportedError(`cipher mode ${ci} (known: 00, ${Object.keys(MODES).join(', ')})`, { member: 'archive.ini' });
    if (salts.length < CHECK_AT) throw new CorruptBackupError(`${salts.length} bytes, fewer than four salt slots (${CHECK_AT})`, { member: 'archive.salt' });
    const aead = registry.get('stream-cipher', 'xchacha20-poly1305');
    const stream = registry.get('stream-cipher', 'xchacha20');
    const secret = new Uint8Array(passphrase);
    const alongside = resources !== undefined && resources.cores >= 2 && resources.memory >= 2 * SCRYPT_MEMORY;
    const early = alongside ? deriveDataKeys(registry, mode, salts, secret, opts) : undefined;
    early?.catch(() => undefined); // its failure is told when a chunk needs it
    let metaKey: Uint8Array;
    opts.onStatus?.(`deriving the archive's key (scrypt, ${SCRYPT_MEMORY >> 20} MiB)`);
    try {
      metaKey = await deriveKey(registry, passphrase, slotSalt(salts, 1, mode.shortSalt), opts);
    } catch (e) {
      wipeWhenDone(early);
      secret.fill(0);
      throw e;
    } finally {
      opts.onStatus?.(undefined);
    }
    const keys = new WyngKeys(registry, ci, salts, secret, metaKey, aead, stream, early);
    const check = salts.subarray(CHECK_AT);
    if (check.length === 0) return { keys, checked: false };
    try {
      await keys.decryptMetadata(check);
    } catch (e) {
      keys.dispose();
      if ((e as { code?: string }).code === 'E_AUTH') throw new WrongPassphraseError('wrong passphrase (the key check in archive.salt does not verify)', { member: 'archive.salt' });
      throw e;
    }
    return { keys, checked: true };
  }

  /** A metadata file's plaintext (nonce ‖ tag ‖ ciphertext); AuthenticationError when its tag fails. */
  async decryptMetadata(file: Uint8Array): Promise<Uint8Array> {
    if (file.length < NONCE + TAG) throw new AuthenticationError(`${file.length} bytes cannot hold a nonce and a tag`);
    const sealed = new Uint8Array(file.length - NONCE);
    sealed.set(file.subarray(NONCE + TAG));
    sealed.set(file.subarray(NONCE, NONCE + TAG), file.length - NONCE - TAG);
    return this.aead.decrypt(this.metaKey, file.subarray(0, NONCE), sealed);
  }

  /** The data key and the manifest-hash subkey (modes with keyed hashes), derived once. */
  private data(opts: ReadOptions): Promise<DataKeys> {
    this.dataKeys ??= deriveDataKeys(this.registry, MODES[this.ci]!, this.salts, this.passphrase, opts);
    return this.dataKeys;
  }

  /** The HMAC-SHA256 key of data hashes, or undefined when the mode hashes data unkeyed. */
  async manifestHashKey(opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    return (await this.data(opts)).mhash;
  }

  /** A data chunk's plaintext (nonce ‖ ciphertext): not authenticated here; its hash is checked next. */
  async decryptData(file: Uint8Array, opts: ReadOptions = {}): Promise<Uint8Array> {
    const { key } = await this.data(opts);
    return this.stream.decrypt(key, file.subarray(0, NONCE), file.subarray(NONCE));
  }

  dispose(): void {
    this.metaKey.fill(0);
    this.passphrase.fill(0);
    wipeWhenDone(this.dataKeys);
  }
}

/** Data keys derived, or still being derived, wiped as soon as they exist. */
function wipeWhenDone(keys: Promise<DataKeys> | undefined): void {
  void keys?.then((k) => { k.key.fill(0); k.mhash?.fill(0); }, () => undefined);
}

/** The data key (slot 0) and, in modes with keyed hashes, the manifest-hash subkey; wipes `passphrase` once used. */
async function deriveDataKeys(registry: Registry, mode: (typeof MODES)[string], salts: Uint8Array, passphrase: Uint8Array, opts: ReadOptions): Promise<DataKeys> {
  const key = await deriveKey(registry, passphrase, slotSalt(salts, 0, mode.shortSalt), opts);
  passphrase.fill(0);
  if (!mode.mhash) return { key };
  // PyCryptodome's HKDF(key, 64, salt, SHA512, num_keys=2, context): 128 bytes, the second 64.
  const both = await registry.get('kdf', 'hkdf-sha512').derive(key, {
    salt: slotSalt(salts, 3, false), info: utf8.encode(`Wyng-Manifest-Hash${0}`), length: 128,
  }, opts);
  const mhash = both.slice(64);
  both.fill(0);
  return { key, mhash };
}

function slotSalt(salts: Uint8Array, slot: number, short: boolean): Uint8Array {
  const at = slot * SLOT + COUNTER;
  return salts.slice(at, at + (short ? 32 : SALT));
}

async function deriveKey(registry: Registry, passphrase: Uint8Array, salt: Uint8Array, opts: ReadOptions): Promise<Uint8Array> {
  return registry.get('kdf', 'scrypt').derive(passphrase, { salt, ...SCRYPT }, opts);
}
