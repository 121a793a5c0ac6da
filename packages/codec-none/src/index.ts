/**
 * @qubes-backup/codec-none: the identity compressor.
 *
 * - **Pass-through**: the decoder for data that was never compressed (`compressed=False`), or that a
 *   user says to take as is (`--compression-filter cat`). It only cuts pieces to at most 1 MiB.
 */
export { nonePortable, passThrough } from './none.js';
