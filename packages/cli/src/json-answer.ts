import { exitCodeOf } from './exit-codes.js';
import { VERSION } from './version.generated.js';

/**
 * `--json`: every command answers with one object on stdout, in the schema docs/json.md describes.
 * The envelope is the same for all (which schema, which program and version, which command, ok or
 * not); a failure carries `error`. Bump SCHEMA when a field changes meaning or goes away; adding
 * fields does not.
 */
export const SCHEMA = 1;

/** The command whose answer this run gives (set when a command starts). */
let command: string | undefined;
/** Whether this run's answer was printed (a command's own, failures included). */
let answered = false;

/** Starts a run: nothing answered yet (main is called many times in one process by the tests). */
export function startRun(name: string | undefined): void {
  command = name;
  answered = false;
}

/** Prints the command's answer: the envelope, `ok`, then the command's own fields. */
export function printJson(ok: boolean, fields: Readonly<Record<string, unknown>>): void {
  answered = true;
  const answer = { schema: SCHEMA, program: 'qubes-backup', version: VERSION, ...(command ? { command } : {}), ok, ...fields };
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
}

/**
 * With `--json`, a run that failed before its command printed anything still answers on stdout,
 * `ok: false` with the error, so a script reads every outcome the same way.
 */
export function answerFailure(e: unknown, fields: Readonly<Record<string, unknown>> = {}): void {
  if (!answered) printJson(false, { error: errorJson(e), ...fields });
}

/** An error as the answers carry it: its code, the exit status it gives, its message and member. */
export function errorJson(e: unknown): { code?: string; exitStatus: number; message: string; member?: string } {
  const err = e as { code?: string; message?: string; member?: string };
  return {
    ...(err.code ? { code: err.code } : {}), exitStatus: exitCodeOf(e),
    message: err.message ?? String(e), ...(err.member ? { member: err.member } : {}),
  };
}
