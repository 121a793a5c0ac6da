import { promises as fsp } from 'node:fs';
import { UsageError, IoError } from '@qubes-backup/core';
import { Interrupted } from './exit-codes.js';

export interface PassphraseOptions {
  passphraseFile?: string;
  /** True when standard input carries the backup, so it cannot answer a prompt. */
  stdinBusy: boolean;
  /** Whose passphrase: `borg` for a Borg repository's key (BORG_PASSPHRASE first). */
  purpose?: string;
  /** False: undefined rather than a prompt when no passphrase was given (a file, the environment). */
  ask?: boolean;
}

/**
 * The passphrase, from (in order) `--passphrase-file` (one trailing newline stripped, nothing else:
 * spaces are part of passphrases), `QUBES_BACKUP_PASSPHRASE`, `BORG_PASSPHRASE`, or a prompt without
 * echo on a terminal.
 */
export async function readPassphrase(o: PassphraseOptions & { ask: false }): Promise<string | undefined>;
export async function readPassphrase(o: PassphraseOptions): Promise<string>;
export async function readPassphrase(o: PassphraseOptions): Promise<string | undefined> {
  const given = await givenPassphrase(o);
  if (!given) return undefined;
  const { value, source } = given;
  // Qubes never makes a backup without a passphrase: an empty one is a mistake (an empty file, an
  // unset variable exported as ''), and trying it would only say "wrong passphrase". Borg does allow
  // an empty passphrase for a repository key.
  if (value === '' && o.purpose !== 'borg') throw new UsageError(`${source} is empty: refusing an empty passphrase`);
  return value;
}

/** The passphrase and where it came from, named for the messages; undefined when it would have to be asked and `ask` is false. */
async function givenPassphrase(o: PassphraseOptions): Promise<{ value: string; source: string } | undefined> {
  if (o.passphraseFile !== undefined) {
    if (o.passphraseFile === '-' && o.stdinBusy) throw stdinTwice();
    let text: string;
    try {
      text = o.passphraseFile === '-' ? await readStdin() : await fsp.readFile(o.passphraseFile, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read passphrase file '${o.passphraseFile}': ${(e as Error).message}`);
    }
    return { value: text.replace(/\r?\n$/, ''), source: `the passphrase file '${o.passphraseFile}'` };
  }
  // BORG_PASSPHRASE too: Borg users already keep their passphrase there (borgmatic, cron jobs). A
  // Borg key takes it first, so a Qubes backup inside a Borg archive can have its own.
  const order = o.purpose === 'borg' ? ['BORG_PASSPHRASE', 'QUBES_BACKUP_PASSPHRASE'] : ['QUBES_BACKUP_PASSPHRASE', 'BORG_PASSPHRASE'];
  for (const name of order) {
    const value = process.env[name];
    if (value !== undefined) return { value, source: name };
  }
  if (o.ask === false) return undefined;
  if (!process.stdin.isTTY || o.stdinBusy) {
    throw new UsageError('no passphrase: use --passphrase-file FILE, set QUBES_BACKUP_PASSPHRASE, or run on a terminal to be asked');
  }
  return { value: await prompt(o.purpose === 'borg' ? 'Borg repository passphrase: ' : 'Backup passphrase: '), source: 'the passphrase typed' };
}

/** Both the backup and the passphrase would be read from standard input. */
export function stdinTwice(): UsageError {
  return new UsageError('--passphrase-file - and the backup - both name standard input: give the passphrase in a file or in QUBES_BACKUP_PASSPHRASE');
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Interrupted());
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
