// The hand restore from the Qubes emergency-restore guides, one timed step per command, as a person would run it.
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { timed } from './run.mjs';

async function step(list, cmd, args, opts) {
  const r = await timed(cmd, args, opts);
  list.push(r);
  if (r.code !== 0) {
    throw new Error(`manual step failed (exit ${r.code}): ${cmd} ${args.join(' ')}\n${r.stderr.trim().split('\n').slice(-3).join('\n')}`);
  }
  return r;
}

function headerOf(work) {
  const text = readFileSync(join(work, 'backup-header'), 'utf8');
  return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => l.split('=')));
}

/** Inner archives in backup order, each with its stored chunk names (no .hmac companions). */
function archives(manifest) {
  return manifest.archives.map((a) => ({ prefix: a.prefix, chunks: a.chunks.filter((n) => !n.endsWith('.hmac')) }));
}

// `cat chunks | [decrypt |] F -d | tar -x`: GNU tar restores PAX and old-GNU sparse members as sparse files.
const UNPACK = 'set -o pipefail; cat -- "$@" | ${BENCH_DECRYPT:-cat} | ${BENCH_DECOMPRESS:-cat} | tar -xf - -C "$BENCH_OUT"';

// `-f`: scrypt dec estimates its CPU speed first and refuses ("would take too much CPU time") when the machine
// is loaded; a person would add -f, and it changes no work done.
const SCRYPT_DEC = ['dec', '-f', '-P'];

/** Format 4: tar -i -x; scrypt dec of the header "hmac" and of every chunk; cat | gzip -d | tar -x per archive. */
export async function manualV4({ backup, manifest, passphrase, work }) {
  const steps = [];
  const out = join(work, 'restored');
  mkdirSync(out, { recursive: true });
  await step(steps, 'tar', ['-i', '-xf', backup, '-C', work]);
  await step(steps, 'scrypt', [...SCRYPT_DEC, 'backup-header.hmac', 'backup-header.verified'],
    { cwd: work, input: `backup-header!${passphrase}\n` });
  await step(steps, 'cmp', ['backup-header', 'backup-header.verified'], { cwd: work });
  const h = headerOf(work);
  const id = h['backup-id'];
  const filter = h.compressed === 'True' ? `${h['compression-filter']} -d` : 'cat';
  for (const a of archives(manifest)) {
    const plain = [];
    for (const enc of a.chunks) {
      const p = enc.replace(/\.enc$/, '');
      await step(steps, 'scrypt', [...SCRYPT_DEC, enc, p], { cwd: work, input: `${id}!${p}!${passphrase}\n` });
      plain.push(p);
    }
    await step(steps, 'bash', ['-c', UNPACK, 'bash', ...plain], {
      cwd: work, env: { ...process.env, BENCH_OUT: out, BENCH_DECOMPRESS: filter },
    });
  }
  return steps;
}

/** Format 3: tar -i -x; openssl dgst -hmac of the header and of every chunk; cat | openssl enc -d | gzip -d | tar -x. */
export async function manualV3({ backup, manifest, passphrase, work }) {
  const steps = [];
  const out = join(work, 'restored');
  mkdirSync(out, { recursive: true });
  await step(steps, 'tar', ['-i', '-xf', backup, '-C', work]);
  const h = headerOf(work);
  const digest = `-${h['hmac-algorithm'].toLowerCase()}`;
  const checkHmac = async (name) => {
    const r = await step(steps, 'openssl', ['dgst', digest, '-hmac', passphrase, name], { cwd: work, stdout: true });
    const got = r.stdout.trim().split('= ').pop();
    const want = readFileSync(join(work, `${name}.hmac`), 'utf8').trim().split('= ').pop();
    if (got !== want) throw new Error(`manual: HMAC mismatch on ${name}`);
  };
  await checkHmac('backup-header');
  const decrypt = h.encrypted === 'True' ? `openssl enc -d -${h['crypto-algorithm']} -md MD5 -pass pass:${passphrase}` : 'cat';
  const filter = h.compressed === 'True' ? `${h['compression-filter'] ?? 'gzip'} -d` : 'cat';
  for (const a of archives(manifest)) {
    for (const c of a.chunks) await checkHmac(c);
    await step(steps, 'bash', ['-c', UNPACK, 'bash', ...a.chunks], {
      cwd: work, env: { ...process.env, BENCH_OUT: out, BENCH_DECRYPT: decrypt, BENCH_DECOMPRESS: filter },
    });
  }
  return steps;
}
