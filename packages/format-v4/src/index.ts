/**
 * @qubes-backup/format-v4: Qubes backup format 4 (R4.0 and later) as a registry plugin.
 *
 * A **stored file** is one inner tar (`vm5/private.img`, `dom0-home/user`), compressed as one stream and
 * cut into **chunks** `<path>.NNN.enc`, each a scrypt container keyed by `<backup-id>!<path>.NNN!<pass>`.
 * This package only composes: scrypt, tar and the codecs come from the registry.
 */
export { formatV4 } from './format.js';
export { validateV4Header, type V4Header } from './header.js';
