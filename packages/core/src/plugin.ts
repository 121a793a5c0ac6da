import type { ByteStream, ReadOptions } from './bytes.js';
import type { Registry } from './registry.js';

/**
 * The kinds of plugin the registry holds. `cipher` and `mac` are whole constructions named by a
 * backup (scrypt containers, `openssl enc`, `.hmac` files); `hash`, `kdf` and `stream-cipher` are
 * the primitives formats such as Borg and Wyng compose themselves (HMAC-SHA256 ids, PBKDF2, scrypt,
 * AES-CTR, XChaCha20, XChaCha20-Poly1305). A `source` is a transport: it claims locations by URL
 * scheme (its name and aliases: `http`, `https`, `sftp`) and opens them as a file or a folder.
 */
export type PluginKind = 'format' | 'container' | 'cipher' | 'mac' | 'compressor' | 'hash' | 'kdf' | 'stream-cipher' | 'fingerprint' | 'source';

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
  /** Command-line options the plugin reads from `FormatContext.settings` (`--as-of N`, `--keyfile FILE`). */
  readonly options?: readonly PluginOption[];
}

/** An option a plugin declares; the CLI offers it on every command and passes its value by name. */
interface PluginOption {
  /** The long name without dashes (`keyfile`). */
  readonly name: string;
  /** A placeholder for its value (`FILE`); absent for a flag. */
  readonly value?: string;
  readonly description: string;
}

// ---------------------------------------------------------------------------------------------
// Sources and containers

/** Where a backup's bytes come from: a file (seekable) or a pipe (one sequential pass). */
export interface ByteSource {
  /** A label for messages (a path or `-`). */
  readonly name: string;
  /** Total length when known. */
  readonly size?: number;
  /** True when `stream(offset)` may be called more than once and with any offset, and `read` exists. */
  readonly seekable: boolean;
  /** The bytes from `offset` (default 0) to the end. A non-seekable source allows one call, offset 0. */
  stream(offset?: number, opts?: ReadOptions): ByteStream;
  /** Seekable sources: exactly `length` bytes at `offset`, fewer only at the end. */
  read?(offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array>;
  /**
   * A seekable source on this machine (a file, a disk): reading bytes again costs about what the
   * first read did, often less (the page cache). A remote one leaves it unset: a second read is a
   * second download.
   */
  readonly local?: boolean;
  /** Releases what a remote source holds (a connection); the opener of the backup calls it once, at the end. */
  close?(): Promise<void>;
}

type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

/** A run of stored bytes at a logical offset. For a sparse file, the gaps between extents are holes (zeros). */
interface Extent {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** One entry of an archive, with its name already resolved (PAX `path`, GNU `L`, `GNU.sparse.name`). */
export interface Member {
  /** Bytes of the name that are not UTF-8 are lone surrogates U+DC80–U+DCFF (see `utf8.decodeEscaped`). */
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
   * container; an unread body is skipped (or seeked over) when the container advances. An extent's
   * bytes must not change after it is yielded: a sink may still be writing them while the next
   * extents are produced.
   */
  extents(opts?: ReadOptions): AsyncIterable<Extent>;
  /** The stored bytes as a plain stream, for non-sparse members (offsets ignored). */
  body(opts?: ReadOptions): ByteStream;
  /**
   * Non-sparse members of a local seekable source (`ByteSource.local`): the stored bytes again,
   * read from the source, any number of times and whatever the container's position. The source
   * may give other bytes the second time (a file changed meanwhile, a hostile device): a reader
   * relying on them being the same must check.
   */
  reread?(opts?: ReadOptions): ByteStream;
}

interface ContainerOptions extends ReadOptions {
  /** Keep reading past zero blocks, as `tar -i` does (the outer archive is many tars appended). */
  ignoreZeros?: boolean;
  /**
   * With `ignoreZeros`: each appended archive ends with its end-of-archive marker (two zero blocks),
   * so the input must too; one cut between two members is truncated, not complete (`tar -i` would
   * end quietly there and lose the members after the cut).
   */
  appendedArchives?: boolean;
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
  decrypt(data: ByteStream, passphrase: Uint8Array, opts?: DecryptOptions): ByteStream;
  /**
   * For ciphers with a costly per-unit key derivation (scrypt: seconds and up to GiBs per chunk):
   * how many leading bytes of a unit `prepare` needs. Callers that can read ahead (a seekable
   * source) ask for keys of upcoming units while earlier ones are decrypted; when those derivations
   * run, and how many at once, is the cipher's own budget (cores and memory) to decide.
   */
  readonly prepareBytes?: number;
  /** Derives what decrypting the unit starting with `head` needs (checking the passphrase). */
  prepare?(head: Uint8Array, passphrase: Uint8Array, opts?: ReadOptions): Promise<PreparedDecryption>;
}

interface DecryptOptions extends ReadOptions {
  /**
   * The same unit again from its first byte (`Member.reread`). A cipher that must authenticate a
   * whole unit before decrypting any of it may then read it twice (authenticate, then decrypt)
   * instead of holding it in memory, given `fingerprint` to check that the second read gives the
   * bytes the first one authenticated.
   */
  reread?: (opts?: ReadOptions) => ByteStream;
  /**
   * A keyed fingerprint under a key drawn for this unit (the registry's `fingerprint` plugin
   * `read-twice`), for `reread`; without it, the unit is held.
   */
  fingerprint?: (data: Uint8Array) => Uint8Array;
}

/** A unit's key, derived ahead of time. Use once; `dispose` wipes it when the unit is never read. */
interface PreparedDecryption {
  /** Same contract as `Cipher.decrypt`; the unit must start with the same head bytes. */
  decrypt(data: ByteStream, opts?: DecryptOptions): ByteStream;
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
  /**
   * `outputSize`: the exact output size, when the container knows it (a Borg chunk list does). A
   * codec may decode into one buffer of that size and yield it as one piece; it is a hint, not a
   * check: the container compares what came out.
   */
  decompress(data: ByteStream, opts?: ReadOptions & { readonly outputSize?: number }): ByteStream;
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
  /**
   * HMAC of one whole input, resolved later: where the runtime has WebCrypto (Node, browsers) a
   * large input is hashed off the main thread, so several run while the caller decodes others.
   */
  hmacOf(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A key derivation function (`pbkdf2-sha256`, `hkdf-sha512`, `scrypt`, ...). Each reads the
 * parameters it needs: PBKDF2 `salt` + `iterations`, HKDF `salt` + `info`, scrypt `salt` + `cost`
 * (N) + `blockSize` (r) + `parallelism` (p) as RFC 7914 names them; every one `length`.
 */
export interface Kdf {
  readonly info: PluginInfo<'kdf'>;
  derive(secret: Uint8Array, params: KdfParams, opts?: ReadOptions): Promise<Uint8Array>;
}

/** What a `Kdf` may read; each function documents which it needs. */
interface KdfParams {
  salt: Uint8Array;
  length: number;
  iterations?: number;
  info?: Uint8Array;
  /** A memory-hard function's CPU/memory cost (scrypt's N, a power of two). */
  cost?: number;
  /** A memory-hard function's block size factor (scrypt's r). */
  blockSize?: number;
  /** A memory-hard function's parallelization (scrypt's p). */
  parallelism?: number;
}

/**
 * A stream cipher applied to one whole message (`aes-256-ctr`: a 16-byte initial counter block,
 * incremented big-endian over all 128 bits as OpenSSL does; `xchacha20`: a 24-byte nonce).
 * Encryption and decryption are the same operation; without a tag, give it only bytes a Hash-based
 * check already verified.
 *
 * An authenticated one (`xchacha20-poly1305`) has a `tagLength`: `data` is the ciphertext followed
 * by its tag (RFC 8439's order; a format that stores them otherwise reorders), the tag is checked
 * before any plaintext is returned, and a mismatch rejects with AuthenticationError: a wrong key
 * and modified bytes look alike there, and only the format can tell which it was.
 */
export interface StreamCipher {
  readonly info: PluginInfo<'stream-cipher'>;
  readonly keyLength: number;
  /** The IV or nonce length. */
  readonly ivLength: number;
  /** Bytes of tag at the end of `data`; absent (or 0) for a cipher without one. */
  readonly tagLength?: number;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Formats

/**
 * A folder a backup lives in (a Borg repository, a format-1 backup directory). Paths are relative,
 * with `/` separators; `''` is the folder itself.
 */
export interface DirectorySource {
  /** A label for messages (a path). */
  readonly name: string;
  /** The folder on this machine, for formats that read the file system itself (format 1). */
  readonly localPath?: string;
  /**
   * The entries directly in `path`, sorted by name; IoError when it is not a folder. A symbolic link
   * is listed as what it points to (borg and Wyng open through them: segments moved to another disk
   * and linked back), `other` when it points nowhere.
   */
  list(path: string): Promise<readonly { readonly name: string; readonly type: 'file' | 'dir' | 'other' }[]>;
  /** A file in the folder as a seekable source; IoError when it is missing. */
  file(path: string): Promise<ByteSource>;
  /**
   * A whole small file (a Wyng chunk), at most `max + 1` bytes (so a longer file shows), or
   * undefined when there is no such file; IoError when it cannot be read. Optional: a source that
   * can do it in one step offers it (on a local disk: one open, read and close, without the thread
   * pool); a reader falls back to `file`.
   */
  readSmall?(path: string, max: number): Promise<Uint8Array | undefined>;
  /** Releases what a remote folder holds (a connection); the opener of the backup calls it once, at the end. */
  close?(): Promise<void>;
}

/** What a backup is read from: one file (or a pipe), or a folder. */
export type BackupInput =
  | { readonly kind: 'file'; readonly source: ByteSource }
  | { readonly kind: 'directory'; readonly dir: DirectorySource };


/** What a format gets to open a backup. */
export interface FormatContext extends ReadOptions {
  readonly registry: Registry;
  /**
   * The passphrase, asked for only when the format needs one (a plaintext Borg repository does
   * not). `purpose` says whose (`borg` for a Borg repository's key), so a front end can keep one
   * per purpose: a Qubes backup stored in a Borg archive may have another than the repository.
   */
  passphrase(purpose?: string): Promise<Uint8Array>;
  /**
   * The passphrase for `purpose` when the user gave one without being asked (an option, a file, the
   * environment, a page's field), else undefined; it never asks. Borg tries an empty passphrase
   * before asking, but never instead of one given: a repository whose key someone replaced with one
   * of their own under an empty passphrase must not open with it. Absent: nothing is known given.
   */
  givenPassphrase?(purpose?: string): Promise<Uint8Array | undefined>;
  /**
   * Opens a backup held inside this one (a Qubes backup file stored in a Borg archive) as any
   * input: detected among the registered formats, with the same options.
   */
  open?(input: BackupInput): Promise<OpenedBackup>;
  /** The values of the options plugins declare (`PluginInfo.options`), by option name. */
  readonly settings: Readonly<Record<string, string | boolean | undefined>>;
  /** Names the user selected in the input itself (`REPO::ARCHIVE`): the format reads only those. */
  readonly unit?: string;
  /**
   * The run only checks (`verify`), writing nothing: a format may read and check more than restoring
   * the selection needs (every session of an incremental archive, not only the newest image).
   */
  readonly checking?: boolean;
  /**
   * What the machine offers parallel work (key derivations ahead of use): cores, and bytes of
   * memory all of it together may take. Absent: no work ahead.
   */
  readonly resources?: { readonly cores: number; readonly memory: number };
  /**
   * The machine's own environment and files, where there are any (not in a browser): for what a
   * format finds beside the backup by convention (a Borg key file in `~/.config/borg/keys`,
   * `BORG_KEY_FILE`) or that the user names in an option (`--keyfile FILE`).
   */
  readonly host?: {
    readonly env: Readonly<Record<string, string | undefined>>;
    /** A folder of this machine (absolute, or relative to the working folder). */
    folder(path: string): DirectorySource;
  };
}

/** A backup format as a plugin: recognizes its inputs and composes containers, ciphers and codecs from the registry. */
export interface FormatPlugin {
  readonly info: PluginInfo<'format'>;
  /**
   * Whether this format reads `input`: from a file's first bytes (`head`: 64 KiB, fewer when the
   * file is shorter) or from a folder's listing. Cheap, reads nothing else, needs no passphrase.
   */
  detect(input: BackupInput, probe: { readonly head?: Uint8Array; readonly registry: Registry }): Promise<boolean>;
  open(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup>;
}

/**
 * A named thing a backup holds and a user selects: a VM, a Borg archive, a Wyng volume. It is
 * restored into its own folder under the destination.
 */
export interface UnitInfo {
  readonly name: string;
  /** The folder under the destination (`work`, `dom0-home`); `''` for the destination itself. */
  readonly output: string;
  /** Whether the backup holds its data (qubes.xml also lists VMs that were not backed up). */
  readonly present: boolean;
  /** Bytes of data it holds, when the backup says. */
  readonly size?: number;
  /** A file written into its output folder once it restored completely (a VM's settings: `vm.json`). */
  readonly metadata?: { readonly file: string; readonly json: unknown };
  /**
   * Set by a survey of the stored members (`OpenedBackup.survey`): what the backup's catalogue
   * promised for this unit and no member holds (`root.img`; `all its data`, then `present` is false).
   */
  readonly lacking?: string;
}

/** What `info` shows. Formats extend it with their own fields, all JSON data. */
export interface BackupInfo {
  /** The format plugin's name (`v4`, `borg`). */
  readonly format: string;
  /** For people: `Qubes backup format 4`, `Borg 1.x repository`. */
  readonly title: string;
  /** What one unit is called in messages: `VM`, `archive`. */
  readonly unitNoun: string;
  readonly encrypted: boolean;
  /** False when nothing read from the backup can be verified (format 1). */
  readonly authenticated: boolean;
  /** In backup order. */
  readonly units: readonly UnitInfo[];
}

/** `info` for people: labelled values, then tables. */
interface Display {
  readonly fields: readonly (readonly [label: string, value: string])[];
  readonly tables: readonly { readonly title?: string; readonly columns: readonly string[]; readonly rows: readonly (readonly string[])[] }[];
}

/** One tree of members the backup stores for a unit (one inner tar of a VM, a whole Borg archive). */
export interface Archive {
  readonly unit: string;
  /** The stored path the tree comes from (`vm5/private.img`, `dom0-home/user`); `''` for a whole archive. */
  readonly path: string;
  /** What member names start with (`vm5/`, `dom0-home/`): stripped to place them under the unit's folder. */
  readonly prefix: string;
  /**
   * The members, each read (or skipped) before the next; callable once, before the next archive is
   * produced. `wanted` says which members the caller will read (by the member as yielded): a format
   * that can fetch data ahead (Borg: the next files' chunks while this one is written) fetches only
   * theirs; without it, nothing is fetched before a member's data is asked for.
   */
  members(opts?: ReadOptions & { wanted?(member: Member): boolean }): AsyncIterable<Member>;
}

/** What a run saw of a unit, for `OpenedBackup.missing`. */
interface UnitSeen {
  /** Stored paths of its archives. */
  readonly archives: ReadonlySet<string>;
  /** Its regular files, relative to the unit's folder (`private.img`). */
  readonly files: ReadonlySet<string>;
}

/** An opened backup: what it holds, then its archives one after another (a single pass on a pipe). */
export interface OpenedBackup {
  readonly info: BackupInfo;
  readonly display: Display;
  /**
   * The archives in backup order; `select` says which to decode, the others are skipped (a pipe is
   * still read through them, without decrypting). Each yielded archive must be consumed (or
   * skipped) before the next is produced.
   */
  archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, opts?: ReadOptions): AsyncIterable<Archive>;
  /** After a unit's archives were read: what it should have had but the backup did not hold. */
  missing?(unit: string, seen: UnitSeen): Error | undefined;
  /**
   * For a catalogue that may promise more than is stored (qubes.xml): one pass over the member
   * headers only, nothing decrypted, and `info` and `display` again with each unit's `present` and
   * `lacking` from the members found. Cheap on a local file (it seeks over the data); a remote
   * source would pay one request per member, so `inspect` asks only for local files.
   */
  survey?(opts?: ReadOptions): Promise<Pick<OpenedBackup, 'info' | 'display'>>;
  /** For backups of disk images: which archives hold the image `volume` (`private`, `root`) of a unit, and which member it is. */
  image?(unit: string, volume: string): { archive(a: Pick<Archive, 'unit' | 'path'>): boolean; member(m: Member): boolean } | undefined;
  /** Releases what the format holds open (keys, look-ahead work). */
  close?(): Promise<void>;
}
