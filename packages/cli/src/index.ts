/** @qubes-backup/cli: the `qubes-backup` command (info, verify, extract). */
export { main, EXIT_HELP } from './main.js';
