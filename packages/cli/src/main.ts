import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES, exitCodeOf, isQubesBackupError, UsageError } from '@qubes-backup/core';

export const EXIT_HELP = `
Exit status:
  0  success
  1  usage error (bad arguments, unknown VM name, no passphrase)
  2  wrong passphrase, or authentication failed (a MAC does not verify: tampered data)
  3  corrupt, truncated or unsupported backup, or an unsafe member name
  4  I/O error (cannot read the backup, cannot write the destination, disk full, file exists)

Passphrase: --passphrase-file FILE (one trailing newline is stripped), else the environment
variable QUBES_BACKUP_PASSPHRASE, else a prompt on the terminal (no echo).`;

/** Runs the CLI; returns the exit status instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('qubes-backup')
    .description('Open Qubes OS backups (formats 1-4) on any machine, without Qubes: list, verify and extract VMs.\n' +
      'Every byte is authenticated before it is decompressed or written.')
    .version('0.0.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .addHelpText('after', EXIT_HELP);

  const common = (c: Command) => c
    .option('--passphrase-file <file>', 'read the passphrase from FILE ("-" for standard input)')
    .option('--compression-filter <name>', 'decode with this built-in decoder whatever the header says (none, gzip, bzip2, xz, zstd, lzma)')
    .option('--ignore-size-limit', "restore data even when it far exceeds qubes.xml's backup-size (refused by default as a decompression bomb)")
    .option('--legacy', 'accept header-less format 2 backups (Qubes R2 beta 3), whose header cannot be authenticated')
    .addOption(new Option('--no-progress', 'no progress bar on stderr'))
    .addHelpText('after', EXIT_HELP);

  // Each command module is imported when its command runs: `extract` never loads the ext4 reader
  // (its WASM and glue), which would stay resident next to a restore's 100 MiB chunk buffer.
  common(program.command('info')
    .argument('<backup>', 'backup file, directory (format 1) or - for standard input')
    .description('show the format, the header and the VMs of a backup (class, template, netvm, label, size)')
    .option('--json', 'machine-readable output'))
    .action(async (backup: string, o) => { const { infoCommand } = await import('./commands/info.js'); await infoCommand(backup, o); });

  common(program.command('verify')
    .argument('<backup>', 'backup file, directory (format 1) or - for standard input')
    .description('authenticate, decrypt, decompress and parse every selected member; write nothing')
    .option('--vm <name>', 'verify only this VM (repeatable)', collectList, [])
    .option('--exclude <name>', 'skip this VM (repeatable)', collectList, [])
    .option('--dom0-home', "with --vm, also verify dom0's home")
    .option('--keep-going', 'check every VM even when one fails; a summary table says which (exit 3)')
    .option('--json', 'machine-readable output'))
    .action(async (backup: string, o) => { const { verifyCommand } = await import('./commands/verify.js'); await verifyCommand(backup, o); });

  common(program.command('extract')
    .argument('<backup>', 'backup file, directory (format 1) or - for standard input')
    .description('restore VMs into DIR/<vm>/ (private.img, root.img, firewall.xml, ..., vm.json) and dom0 home into DIR/dom0-home/<user>/')
    .requiredOption('--dest <dir>', 'destination folder')
    .option('--vm <name>', 'restore only this VM (repeatable); default: everything', collectList, [])
    .option('--exclude <name>', 'skip this VM (repeatable)', collectList, [])
    .option('--dom0-home', "with --vm, also restore dom0's home")
    .option('--force', 'replace existing files in the destination')
    .option('--keep-going', 'restore every VM whose members verify, skip the others (their .partial files stay), ' +
      'end with a summary table and exit 3 if anything was skipped; without it the first failure stops the run ' +
      "and removes that VM's partial files")
    .option('--json', 'print the result as JSON'))
    .action(async (backup: string, o) => { const { extractCommand } = await import('./commands/extract.js'); await extractCommand(backup, o); });

  const imageOptions = (c: Command) => common(c)
    .option('--vm <name>', 'with a backup: the VM whose image to open')
    .addOption(new Option('--volume <name>', 'which image of the VM').choices(['private', 'root']).default('private'))
    .option('--work-dir <dir>', 'with a backup: where to restore the image first (default: the OS temp folder)')
    .option('--keep-image', 'with a backup: keep the restored image instead of removing it at the end');

  imageOptions(program.command('files')
    .argument('<image-or-backup>', 'a VM disk image (private.img, root.img) or a backup with --vm')
    .argument('[path]', 'directory or file inside the filesystem', '/')
    .description('list files inside a VM disk image (ext2/3/4; bare, GPT or MBR), without root or mount')
    .option('-l, --long', 'type, mode, size, mtime and link targets')
    .option('-r, --recursive', 'the whole tree below PATH')
    .option('--json', 'machine-readable output'))
    .action(async (input: string, path: string, o) => { const { filesCommand } = await import('./commands/files.js'); await filesCommand(input, path, o); });

  imageOptions(program.command('get')
    .argument('<image-or-backup>', 'a VM disk image (private.img, root.img) or a backup with --vm')
    .argument('<path...>', 'files or directories inside the filesystem')
    .description('copy files or directories out of a VM disk image into DIR, keeping their path from the filesystem root ' +
      '(/home/user/a.txt -> DIR/home/user/a.txt), mtimes and modes; symlinks stay symlinks')
    .requiredOption('--dest <dir>', 'destination folder')
    .option('--force', 'replace existing files')
    .option('--json', 'print the result as JSON'))
    .action(async (input: string, paths: string[], o) => { const { getCommand } = await import('./commands/get.js'); await getCommand(input, paths, o); });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : EXIT_CODES.E_USAGE;
    }
    reportError(e);
    return exitCodeOf(e);
  }
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function reportError(e: unknown): void {
  if (isQubesBackupError(e)) {
    process.stderr.write(`qubes-backup: error: ${e.message}\n`);
  } else if (e instanceof UsageError) {
    process.stderr.write(`qubes-backup: ${e.message}\n`);
  } else {
    const err = e as Error;
    process.stderr.write(`qubes-backup: internal error: ${err?.stack ?? String(e)}\n`);
  }
}
