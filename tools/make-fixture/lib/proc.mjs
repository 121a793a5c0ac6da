// Running the real tools. Every command goes through here so --verbose can show exactly what a
// person would type to redo a step by hand.
import { spawnSync } from 'node:child_process';

let verbose = false;
export function setVerbose(v) {
  verbose = v;
}

/** Quote one word for bash. */
export function q(word) {
  const s = String(word);
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// LC_ALL=C keeps tar/debugfs messages stable; the fake time makes e2fsprogs write fixed timestamps.
const baseEnv = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };

/** Run argv; throw with stderr on a non-zero exit. Returns { stdout: Buffer, stderr: string }. */
export function run(cmd, args, opts = {}) {
  if (verbose) process.stderr.write(`+ ${[cmd, ...args].map(q).join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`);
  const r = spawnSync(cmd, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: { ...baseEnv, ...(opts.env ?? {}) },
    maxBuffer: 1 << 30,
  });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const stderr = r.stderr.toString();
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${stderr.trim()}`);
  }
  return { stdout: r.stdout, stderr, status: r.status };
}

/** Run a bash pipeline (pipefail on). Use q() for every interpolated word. */
export function sh(script, opts = {}) {
  return run('bash', ['-o', 'pipefail', '-c', script], opts);
}

/** Is this program on PATH? */
export function have(cmd) {
  return spawnSync('bash', ['-c', `command -v ${q(cmd)}`]).status === 0;
}

/** First line of `<cmd> --version` (or the given args), for the README's tool list. */
export function toolVersion(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { env: baseEnv });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '');
  return text ? text.trim() : 'unknown';
}
