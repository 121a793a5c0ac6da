import type { ByteStream, ReadOptions } from './bytes.js';
import type { Registry } from './registry.js';
import type { BackupModel, InnerArchive } from './model.js';

/**
 * The kinds of plugin the registry holds. `cipher` and `mac` are whole constructions named by a
 * backup (scrypt containers, `openssl enc`, `.hmac` files); `hash`, `kdf` and `stream-cipher` are
 * the primitives formats such as Borg compose themselves (HMAC-SHA256 ids, PBKDF2, AES-CTR).
 */
export type PluginKind = 'format' | 'container' | 'cipher' | 'mac' | 'compressor' | 'hash' | 'kdf' | 'stream-cipher';

/** Which runtime a plugin needs: `node` uses node:* modules, `portable` runs anywhere (browsers too). */
export type Backend = 'node' | 'portable';

/** What can be known about a plugin without constructing anything. */
export interface PluginInfo<K extends PluginKind = PluginKind> {
  readonly kind: K;
  /** The name the backup uses for it: a header value (`gzip`, `scrypt`, `sha512`, `aes-256-cbc`), a version (`v4`), `tar`. */
  readonly name: string;
  /** Other names that mean the same decoder (`pigz` for gzip). Matched case-insensitively like `name`. */
  readonly aliases?: readonly string[];
  readonly backend: Backend;
}

// ---------------------------------------------------------------------------------------------
// Sources and containers

/** Where a backup's bytes come from: a file (seekable) or a pipe (one sequential pass). */
export interface ByteSource {
  /** A label for messages (a path or `-`). */
  readonly name: string;
  /** Total length when known. */
  readonly size?: number;
  /** True when `stream(offset)` may be called more than once and with any offset. */
  readonly seekable: boolean;
  /** The bytes from `offset` (default 0) to the end. A non-seekable source allows one call, offset 0. */
  stream(offset?: number, opts?: ReadOptions): ByteStream;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** A run of stored bytes at a logical offset. For a sparse file, the gaps between extents are holes (zeros). */
export interface Extent {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** One entry of an archive, with its name already resolved (PAX `path`, GNU `L`, `GNU.sparse.name`). */
export interface Member {
  readonly path: string;
  readonly type: EntryType;
  /** Logical size: the file's length once holes are expanded (`realsize` for sparse members). */
  readonly size: number;
  /** Bytes stored in the archive for this member (the data regions only). */
  readonly storedSize: number;
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Symlink or hardlink target. */
  readonly linkTarget?: string;
  readonly sparse: boolean;
  /** Byte offset of the member's first header in the container's stream (for `volumeEntries`, within the volume where it starts). */
  readonly headerOffset: number;
  /**
   * The stored data as extents in increasing offset order. Call at most once, before advancing the
   * container; an unread body is skipped (or seeked over) when the container advances.
   */
  extents(opts?: ReadOptions): AsyncIterable<Extent>;
  /** The stored bytes as a plain stream, for non-sparse members (offsets ignored). */
  body(opts?: ReadOptions): ByteStream;
}

export interface ContainerOptions extends ReadOptions {
  /** Keep reading past zero blocks, as `tar -i` does (the outer archive is many tars appended). */
  ignoreZeros?: boolean;
  /** Upper bound for any logical size (sparse realsize), against sparse bombs. */
  maxSize?: number;
}

/** An archive of named members read in order: the outer backup file, and each inner tar. */
export interface Container {
  readonly info: PluginInfo<'container'>;
  /** Members of a single stream. */
  entries(source: ByteSource | ByteStream, opts?: ContainerOptions): AsyncIterable<Member>;
  /**
   * Members of a multi-volume archive given as one stream per volume (GNU `tar -M`): a member cut
   * at a volume's end continues after the next volume's `M` header.
   */
  volumeEntries?(volumes: AsyncIterable<ByteStream>, opts?: ContainerOptions): AsyncIterable<Member>;
}

// ---------------------------------------------------------------------------------------------
// Crypto and codecs

/**
 * Turns ciphertext into plaintext. A cipher that carries its own tag (scrypt) yields no plaintext
 * of a unit before that tag verified; a bare cipher (openssl enc) must only be given bytes that a
 * Mac already verified. Fails with WrongPassphraseError when the key check fails, AuthenticationError
 * when the tag fails, CorruptBackupError when the structure (magic, padding) is wrong.
 */
export interface Cipher {
  readonly info: PluginInfo<'cipher'>;
  decrypt(data: ByteStream, passphrase: Uint8Array, opts?: ReadOptions): ByteStream;
  /**
   * For ciphers with a costly per-unit key derivation (scrypt: seconds and up to GiBs per chunk):
   * how many leading bytes of a unit `prepare` needs. Callers that can read ahead (a seekable
   * source) derive keys of upcoming units in parallel while earlier ones are decrypted.
   */
  readonly prepareBytes?: number;
  /** Memory in bytes one `prepare` of the unit starting with `head` needs, to bound parallelism. */
  prepareMemory?(head: Uint8Array): number;
  /** Derives what decrypting the unit starting with `head` needs (checking the passphrase). */
  prepare?(head: Uint8Array, passphrase: Uint8Array, opts?: ReadOptions): Promise<PreparedDecryption>;
}

/** A unit's key, derived ahead of time. Use once; `dispose` wipes it when the unit is never read. */
export interface PreparedDecryption {
  /** Same contract as `Cipher.decrypt`; the unit must start with the same head bytes. */
  decrypt(data: ByteStream, opts?: ReadOptions): ByteStream;
  dispose(): void;
}

/**
 * Verifies data against a stored tag with a key (for openssl HMACs the key is the passphrase; the
 * tag is the `.hmac` file's text). Resolves when it verifies; rejects with AuthenticationError.
 */
export interface Mac {
  readonly info: PluginInfo<'mac'>;
  verify(data: ByteStream, tag: Uint8Array, key: Uint8Array, opts?: ReadOptions): Promise<void>;
}

/** A streaming decoder. Rejects with CorruptBackupError on bad or truncated input. */
export interface Compressor {
  readonly info: PluginInfo<'compressor'>;
  decompress(data: ByteStream, opts?: ReadOptions): ByteStream;
}

// ---------------------------------------------------------------------------------------------
// Primitives

/**
 * A hash function (`sha256`, `sha512`, `blake2b-256`); `hmac(key)` keys it as HMAC (RFC 2104).
 * Each `create`/`hmac` call returns a fresh incremental state: `update` any number of times, then
 * `digest` once.
 */
export interface Hash {
  readonly info: PluginInfo<'hash'>;
  /** Digest length in bytes. */
  readonly outputLength: number;
  create(): { update(data: Uint8Array): void; digest(): Uint8Array };
  hmac(key: Uint8Array): { update(data: Uint8Array): void; digest(): Uint8Array };
}

/**
 * A key derivation function (`pbkdf2-sha256`, `hkdf-sha512`, ...). Each reads the parameters it
 * needs: PBKDF2 `salt` + `iterations`, HKDF `salt` + `info`; every one `length`.
 */
export interface Kdf {
  readonly info: PluginInfo<'kdf'>;
  derive(secret: Uint8Array, params: { salt: Uint8Array; length: number; iterations?: number; info?: Uint8Array }, opts?: ReadOptions): Promise<Uint8Array>;
}

/**
 * A stream cipher applied to one whole message (`aes-256-ctr`: a 16-byte initial counter block,
 * incremented big-endian over all 128 bits as OpenSSL does). Encryption and decryption are the
 * same operation; it carries no tag, so give it only bytes a Hash-based check already verified.
 */
export interface StreamCipher {
  readonly info: PluginInfo<'stream-cipher'>;
  readonly keyLength: number;
  readonly ivLength: number;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Formats

/** What a format plugin gets to open a backup: the authenticated header and the rest of the outer archive. */
export interface FormatContext extends ReadOptions {
  readonly registry: Registry;
  readonly passphrase: Uint8Array;
  /** The `backup-header` bytes, already authenticated by `headerMac` (absent for header-less v2 and v1). */
  readonly header?: Uint8Array;
  /** Name of the Mac that verified the header (`scrypt`, `sha512`, ...). */
  readonly headerMac?: string;
  /** Outer members after the header pair, in archive order. */
  readonly members: AsyncIterator<Member>;
  /** The source, for formats that read it directly (v1 directories). */
  readonly source?: ByteSource;
  /** Use this decoder whatever the header names (`--compression-filter`). */
  readonly forceCompressionFilter?: string;
  /** Largest logical size any restored file may claim. */
  readonly maxFileSize?: number;
  /** Do not refuse data far beyond qubes.xml's backup-size (`--ignore-size-limit`). */
  readonly ignoreSizeLimit?: boolean;
  /** The user accepted legacy risks (`--legacy`): header-less format 2, whose header cannot be authenticated. */
  readonly legacy?: boolean;
  /** What this plugin's `prefetch` returned while the header was being authenticated. */
  readonly prefetched?: Prefetched;
}

/**
 * What a format may start before its header is authenticated (`FormatPlugin.prefetch`): the header
 * bytes as read, NOT yet authenticated, and where the outer member after the header pair begins.
 */
export interface PrefetchContext extends ReadOptions {
  readonly registry: Registry;
  readonly passphrase: Uint8Array;
  /** Unauthenticated: only work whose result is itself authenticated later may depend on it. */
  readonly header: Uint8Array;
  /** A seekable source (prefetch is offered for nothing else). */
  readonly source: ByteSource;
  /** Offset of `backup-header.hmac`'s first header byte; the format's own members follow it. */
  readonly offset: number;
}

/** Work a format started early; disposed by the opener if the header does not authenticate. */
export interface Prefetched {
  dispose(): void;
}

/** A format version as a plugin: composes containers, macs, ciphers and compressors from the registry. */
export interface FormatPlugin {
  readonly info: PluginInfo<'format'>;
  /** The `version` header value this plugin reads (1–4). */
  readonly version: number;
  open(ctx: FormatContext): Promise<OpenedBackup>;
  /**
   * Optional: start work that hides latency while the header's MAC is checked (format 4 derives
   * `qubes.xml`'s scrypt key: the header's own derivation would otherwise run alone on one core).
   * Nothing it produces may be used unless it authenticates by itself; the opener hands the result to
   * `open` only after the header authenticated, and disposes it otherwise.
   */
  prefetch?(ctx: PrefetchContext): Prefetched | undefined;
}

/** An opened backup: its metadata, then its archives one after another (a single pass). */
export interface OpenedBackup {
  readonly model: BackupModel;
  /**
   * The inner archives in backup order. `select` says which to decode; the others are skipped
   * (their chunks are still read from a pipe, but not decrypted). Each yielded archive must be
   * consumed (or skipped) before the next is produced.
   */
  archives(select: (a: InnerArchiveInfo) => boolean, opts?: ReadOptions): AsyncIterable<InnerArchive>;
}

export interface InnerArchiveInfo {
  /** The VM it belongs to (`dom0` for dom0 home). */
  readonly vm: string;
  /** The stored path without chunk suffix: `vm5/private.img`, `dom0-home/user`, `vm4/.`. */
  readonly path: string;
}
