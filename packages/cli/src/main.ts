import { Command, CommanderError, Option } from 'commander';
import { isQubesBackupError, UsageError, type Registry } from '@qubes-backup/core';
import { defaultRegistry } from '@qubes-backup/all/node';
import { EXIT_CODES, exitCodeOf, Interrupted } from './exit-codes.js';
import { interruptible, type Interruption } from './interrupt.js';
import { answerFailure, startRun } from './json-answer.js';
import { VERSION } from './version.generated.js';

export const EXIT_HELP = `
Exit status:
  0    success
  1    usage error (bad arguments, unknown VM name, nothing selected, no or an empty passphrase)
  2    wrong passphrase, or authentication failed (a MAC does not verify: tampered data)
  3    corrupt, truncated or unsupported backup, or an unsafe member name
  4    I/O error (cannot read the backup, cannot write the destination, disk full, file exists)
  130  interrupted (Ctrl-C, also at the passphrase prompt)
Every error is one line, 'qubes-backup: error: ...', naming the path or member and the cause.

Passphrase (asked only when the backup needs one): --passphrase-file FILE (one trailing newline
is stripped), else the environment variable QUBES_BACKUP_PASSPHRASE (or BORG_PASSPHRASE), else a
prompt on the terminal (no echo).`;

const BACKUP_ARG = 'backup file, folder (a Borg repository, a Wyng archive, a format-1 backup), REPO::ARCHIVE, or - for standard input ' +
  '(a named pipe, <(...) or /dev/stdin is read once like -)';

/** --json on every command that has it: one schema for all (docs/json.md). */
const JSON_OPTION = 'one JSON object on stdout (the schema: docs/json.md)';

/**
 * Runs the CLI; returns the exit status instead of exiting, so tests can call it. `registry`
 * defaults to every shipped plugin; the options each plugin declares are offered on every command.
 */
export async function main(argv: string[], registry: () => Registry = defaultRegistry): Promise<number> {
  const run: ProgramRun = {};
  const program = cliProgram(registry, run);
  startRun(program.commands.some((c) => c.name() === argv[0]) ? argv[0] : undefined);
  const unknown = unknownCommand(argv, program);
  if (unknown) {
    process.stderr.write(`qubes-backup: error: ${unknown}\n(run with --help for usage)\n`);
    if (argv.includes('--json')) answerFailure(new UsageError(unknown));
    return EXIT_CODES.E_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // The parser already said it on stderr; a script reading --json gets it too.
      if (argv.includes('--json')) answerFailure(new UsageError(e.message.replace(/^error: /, '')));
      return EXIT_CODES.E_USAGE;
    }
    if (argv.includes('--json')) answerFailure(e);
    reportError(e);
    return exitCodeOf(e);
  } finally {
    run.interruption?.dispose();
  }
}

/** What a run of the program holds for `main`: Ctrl-C and SIGTERM handling, made when a command starts working on a backup. */
export interface ProgramRun {
  interruption?: Interruption;
}

/**
 * The commander definition of every command, option and help text: what `main` parses, and what
 * tools/make-cli-reference.mjs turns into docs/cli.md, so the reference cannot say other than --help.
 */
export function cliProgram(registry: () => Registry = defaultRegistry, run: ProgramRun = {}): Command {
  const pluginOptions = declaredOptions(registry());
  const program = new Command()
    .name('qubes-backup')
    .description('Open Qubes OS backups (formats 1-4) on any machine, without Qubes: list, verify and extract VMs.\n' +
      'Every byte is authenticated before it is decompressed or written.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s),
      // Parser errors ("error: unknown option ...") look like every other error of the command.
      outputError: (s, write) => write(`qubes-backup: ${s}`),
    })
    .addHelpText('after', EXIT_HELP);

  const common = (c: Command) => {
    c.option('--passphrase-file <file>', 'read the passphrase from FILE ("-" for standard input)')
      .addOption(new Option('--no-progress', 'no progress bar on stderr'))
      .addHelpText('after', EXIT_HELP);
    for (const o of pluginOptions) c.option(o.value ? `--${o.name} <${o.value.toLowerCase()}>` : `--${o.name}`, o.description);
    // Plugin option values reach the formats by their declared names.
    c.hook('preAction', (_, action) => {
      const flags = action.opts();
      flags['settings'] = Object.fromEntries(pluginOptions.map((o) => [o.name, flags[camel(o.name)] as string | boolean | undefined]));
      flags['registry'] = registry;
      run.interruption ??= interruptible();
      flags['interruption'] = run.interruption;
    });
    return c;
  };

  // Each command module is imported when its command runs: `extract` never loads the ext4 reader
  // (its WASM and glue), which would stay resident next to a restore's 100 MiB chunk buffer.
  common(program.command('info')
    .argument('<backup>', BACKUP_ARG)
    .description('show what a backup holds: its format and header, its VMs (class, template, netvm, label, size) or archives. ' +
      "A Qubes backup's SIZE is the backup-size qubes.xml records for the VM: what its files used on disk when it was backed up, " +
      "before compression (extract's space check adds these up); '-' when the backup holds none of its data")
    .option('--json', JSON_OPTION))
    .action(async (backup: string, o) => { const { infoCommand } = await import('./commands/info.js'); await infoCommand(backup, o); });

  common(program.command('verify')
    .argument('<backup>', BACKUP_ARG)
    .description('authenticate, decrypt, decompress and parse every selected member; write nothing. ' +
      'The table gives each VM or archive its FILES, the regular files checked, and BYTES, their full length as extract ' +
      'would write them (holes of sparse disk images included), not the bytes the backup stores')
    .option('--vm <name>', 'verify only this VM, or this archive of a repository (repeatable; or a comma-separated list)', collectList, [])
    .option('--exclude <name>', 'skip this VM or archive (repeatable; or a comma-separated list)', collectList, [])
    .option('--dom0-home', "with --vm, also verify dom0's home")
    .option('--keep-going', 'check every VM even when one fails; a summary table says which (exit 3)')
    .option('--json', JSON_OPTION))
    .action(async (backup: string, o) => { const { verifyCommand } = await import('./commands/verify.js'); await verifyCommand(backup, o); });

  common(program.command('extract')
    .argument('<backup>', BACKUP_ARG)
    .description('restore VMs into DIR/<vm>/ (private.img, root.img, firewall.xml, ..., vm.json) and dom0 home into DIR/dom0-home/<user>/; ' +
      'a repository archive REPO::ARCHIVE into DIR/ with its paths kept (home/user/a.txt -> DIR/home/user/a.txt)')
    .requiredOption('--dest <dir>', 'destination folder')
    .option('--vm <name>', 'restore only this VM, or this archive of a repository (repeatable; or a comma-separated list); default: everything', collectList, [])
    .option('--exclude <name>', 'skip this VM or archive (repeatable; or a comma-separated list)', collectList, [])
    .option('--dom0-home', "with --vm, also restore dom0's home")
    .option('--force', 'replace existing files in the destination')
    .option('--resume', 'go on after an interruption (Ctrl-C, kill, crash, disk full, read error) into the same --dest: ' +
      "VMs already complete (their vm.json written) are skipped, complete files kept, .partial files restored again")
    .option('--no-space-check', 'start even when DEST has less free space than the selected VMs hold')
    .option('--dry-run', 'print what would be written where, and the space it needs and has; write nothing')
    .option('--keep-going', 'restore every VM whose members verify, skip the others (their .partial files stay), ' +
      'end with a summary table and exit 3 if anything was skipped; without it the first failure stops the run ' +
      "and removes that VM's partial files (after an interruption or an I/O error nothing is removed: see --resume)")
    .option('--json', JSON_OPTION))
    .action(async (backup: string, o) => { const { extractCommand } = await import('./commands/extract.js'); await extractCommand(backup, o); });

  const imageOptions = (c: Command) => common(c)
    .option('--vm <name>', 'with a backup of VM disk images: the VM whose image to open')
    .addOption(new Option('--volume <name>', 'which image of the VM').choices(['private', 'root']).default('private'))
    .option('--work-dir <dir>', 'with a backup: where to restore the image first (default: the OS temp folder)')
    .option('--keep-image', 'with a backup: keep the restored image (the VM\'s data, decrypted) in the work folder; ' +
      'a later files or get with --keep-image and the same --work-dir opens it at once');

  imageOptions(program.command('files')
    .argument('<image-or-backup>', 'a VM disk image (private.img, root.img), a backup with --vm, or a repository archive REPO::ARCHIVE')
    .argument('[path]', 'directory or file inside the filesystem or archive', '/')
    .description('list files inside a VM disk image (ext2/3/4; bare, GPT or MBR) without root or mount, or inside a repository archive')
    .option('-l, --long', 'type, mode, size, mtime and link targets')
    .option('-r, --recursive', 'the whole tree below PATH')
    .option('--json', JSON_OPTION))
    .action(async (input: string, path: string, o) => { const { filesCommand } = await import('./commands/files.js'); await filesCommand(input, path, o); });

  imageOptions(program.command('get')
    .argument('<image-or-backup>', 'a VM disk image (private.img, root.img), a backup with --vm, or a repository archive REPO::ARCHIVE')
    .argument('<path...>', 'files or directories inside the filesystem or archive')
    .description('copy files or directories out of a VM disk image or a repository archive into DIR, keeping their path from the root ' +
      '(/home/user/a.txt -> DIR/home/user/a.txt), mtimes and modes; symlinks stay symlinks')
    .requiredOption('--dest <dir>', 'destination folder')
    .option('--force', 'replace existing files')
    .option('--resume', 'go on after an interruption into the same --dest: complete files kept, .partial files copied again')
    .option('--json', JSON_OPTION))
    .action(async (input: string, paths: string[], o) => { const { getCommand } = await import('./commands/get.js'); await getCommand(input, paths, o); });

  program.command('guide')
    .description('print the emergency restore guide (docs/emergency.md): what to keep beside the backup, the commands, ' +
      'the passphrase, what each exit code and common error means')
    .action(async () => { const { GUIDE } = await import('./guide.generated.js'); process.stdout.write(GUIDE); });
  return program;
}

/** Every option the registry's plugins declare, once per name. */
function declaredOptions(registry: Registry): NonNullable<ReturnType<Registry['list']>[number]['options']> {
  const seen = new Map<string, NonNullable<ReturnType<Registry['list']>[number]['options']>[number]>();
  for (const kind of ['format', 'container', 'cipher', 'mac', 'compressor', 'hash', 'kdf', 'stream-cipher', 'fingerprint', 'source'] as const) {
    for (const d of registry.list(kind)) for (const o of d.options ?? []) if (!seen.has(o.name)) seen.set(o.name, o);
  }
  return [...seen.values()];
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Repeatable list options: `--vm work,personal` is `--vm work --vm personal` (VM names have no commas). */
function collectList(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}

/** Words people type for this tool's commands (other backup tools' verbs), and the command meant. */
const MEANT: ReadonlyMap<string, string> = new Map([
  ['restore', 'extract'], ['unpack', 'extract'], ['export', 'extract'],
  ['list', 'info'], ['show', 'info'], ['inspect', 'info'],
  ['ls', 'files'], ['find', 'files'],
  ['check', 'verify'], ['test', 'verify'],
  ['cat', 'get'], ['cp', 'get'], ['copy', 'get'],
]);

/**
 * The error for a first word that is another tool's verb, with the command meant. Other unknown
 * words are commander's (which suggests commands spelt alike: `extrct`).
 */
function unknownCommand(argv: readonly string[], program: Command): string | undefined {
  const word = argv[0];
  const meant = word === undefined ? undefined : MEANT.get(word);
  if (meant === undefined || program.commands.some((c) => c.name() === word)) return undefined;
  return `unknown command '${word}' (did you mean ${meant}?)`;
}

export function reportError(e: unknown): void {
  if (e instanceof Interrupted) {
    process.stderr.write('qubes-backup: interrupted\n');
  } else if (isQubesBackupError(e)) {
    process.stderr.write(`qubes-backup: error: ${e.message}\n`);
  } else if (isSystemError(e)) {
    // A file-system call the library did not wrap: still the user's path and the system's reason, not a bug.
    process.stderr.write(`qubes-backup: error: ${e.message}\n`);
  } else {
    const err = e as Error;
    process.stderr.write(`qubes-backup: internal error: ${err?.stack ?? String(e)}\n`);
  }
}

/** Node's error for a failed system call on a path ("EACCES: permission denied, open '/x'"): it names both. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException & { path: string } {
  const err = e as NodeJS.ErrnoException | null;
  return err instanceof Error && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code) && typeof err.syscall === 'string' && typeof err.path === 'string';
}
