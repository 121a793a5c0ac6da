/** @qubes-backup/cli: the `qubes-backup` command (info, verify, extract). */
export { main, cliProgram, EXIT_HELP, type ProgramRun } from './main.js';
