/**
 * @qubes-backup/format-wyng: Wyng archives (format 3, as Wyng 0.8 writes them) as a backup format.
 *
 * - **Archive**: a folder: `archive.ini` (`[WYNG03]`, `ci = XX`, then a gzip INI, encrypted unless
 *   `ci = 00`), `archive.salt` (key salts), one `Vol_xxxxxx/` per **volume**.
 * - **Volume**: `volinfo` (its name, its **sessions**), each session `S_YYYYMMDD-HHMMSS/` with
 *   `info` (size, sequence, manifest hash) and `manifest.z` (a hash per changed chunk, `0` for
 *   zeros), and the chunk files `S_…/<9 hex>/x<16 hex>`. A volume at session S is every manifest
 *   up to S merged, the newest entry of an address winning.
 * - **Integrity**: each metadata file's hash is stored by its parent (archive.ini → volinfo →
 *   info → manifest → chunks); encrypted archives authenticate metadata with XChaCha20-Poly1305
 *   and key the chunk hashes (HMAC-SHA256). Every hash is checked before anything is decompressed.
 * - **Qubes**: wyng-util-qubes' volume names (`vm-<qube>-private`, `appvms/<qube>/private.img`)
 *   make each qube a unit with `private.img`/`root.img`; `wyng-qubes-metadata` gives qubes.xml.
 *
 * Every primitive comes from the registry: `kdf` (scrypt, hkdf-sha512), `stream-cipher`
 * (xchacha20, xchacha20-poly1305), `hash` (sha256, blake2b-256, crc32), `compressor` (zstd, zlib,
 * bzip2, gzip), `container` (tar). Nothing in the archive is ever written.
 */
export { formatWyng } from './format.js';
export type { WyngArchiveInfo, WyngVolumeInfo } from './model.js';
