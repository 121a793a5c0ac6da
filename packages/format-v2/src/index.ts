/**
 * @qubes-backup/format-v2: Qubes backup format 2 (R2 beta3 – R2 rc, 2014) as a registry plugin.
 *
 * A **stored file** is one GNU **multi-volume** inner tar (`tar -M --tape-length 100000`): each
 * **volume** is one **chunk** `<path>.NNN`, encrypted on its own (`openssl enc`, own `Salted__`)
 * or gzipped on its own, and followed by its **`.hmac`** (`openssl dgst -<alg> -hmac <passphrase>`
 * over the stored chunk). Headers have no `version` key; the earliest backups have no header.
 * This package only composes: HMAC, openssl cipher, codecs and tar come from the registry.
 */
export { formatV2 } from './format.js';
export { validateV2Header, type V2Header } from './header.js';
