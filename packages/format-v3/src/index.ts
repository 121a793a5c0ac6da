/**
 * @qubes-backup/format-v3: Qubes backup format 3 (R2 final – R3.2) as a registry plugin.
 *
 * A **stored file** is one inner tar (`vm5/private.img`, `appvms/work/firewall.xml`, a template
 * directory `vm4/.`, `dom0-home/user`), compressed and (when encrypted) run through ONE
 * `openssl enc` stream, then cut into **chunks** `<path>.NNN`. Each chunk is followed by its
 * **`.hmac`**: `openssl dgst -<alg> -hmac <passphrase>` over the stored chunk bytes.
 * This package only composes: HMAC, openssl cipher, codecs and tar come from the registry.
 */
export { formatV3 } from './format.js';
export { validateV3Header, type V3Header } from './header.js';
