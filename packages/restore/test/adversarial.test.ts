// Issue 4: every case of the adversarial corpus (tools/make-adversarial) through verify and extract.
// A case passes when both calls end as the case expects (a typed error with the expected code whose
// one-line message names the member, or success), nothing appears outside the destination, and
// every complete output file is byte-identical to what the pristine backup restores (so no byte a
// MAC did not vouch for was written); `.partial` files may hold only authenticated bytes too.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isQubesBackupError, type Registry } from '@qubes-backup/core';
import { defaultRegistry } from '@qubes-backup/all/node';
import { extract, reportOf, verify, type RestoreEvent } from '@qubes-backup/restore';
import { hasSharedFixtures, OURS } from '@qubes-backup/testkit';
import { buildCorpus, type AdversarialCase } from '../../../tools/make-adversarial/corpus.mjs';

type Case = AdversarialCase;

// Generous: CI machines are shared, and a v3 case restores five VMs twice (verify and extract).
const CASE_TIMEOUT = 120_000;
/** Where a crafted symlink pointing at /tmp would write if it were followed. */
const ABS_ESCAPE = '/tmp/qubes-adversarial-escaped.txt';

const registry = (): Registry => defaultRegistry();

// Every v3 case stands on ../shared/fixtures: the corpus mutates its two v3 backups, and the crafted
// v3 pieces are spliced into one of them. Where it is absent (a clone without it, or
// QBT_SHARED_FIXTURES=none) those cases are skipped tests, so the closing summary counts them.
const corpus: Case[] = buildCorpus();
const needsShared = (c: Case): boolean => c.format === 'v3';
const cases: Case[] = hasSharedFixtures ? corpus : corpus.filter((c) => !needsShared(c));
const skipped: string[] = hasSharedFixtures ? [] : corpus.some(needsShared)
  ? corpus.filter(needsShared).map((c) => `${c.klass}: ${c.id}`)
  : [
    'v3 mutation cases of shared/fixtures/qubes/v3-encrypted-gzip',
    'v3 mutation cases of shared/fixtures/qubes/v3-plain-gzip',
    ...Object.keys(JSON.parse(readFileSync(join(OURS, 'adversarial/index.json'), 'utf8')) as Record<string, unknown>)
      .filter((id) => id.startsWith('v3-')).map((id) => `crafted: ${id}`),
  ];
const root = mkdtempSync(join(tmpdir(), 'qb-adversarial-'));
const references = new Map<string, Promise<string>>();
const figures = { cases: 0, crashes: 0, escapes: 0, unauthenticatedBytes: 0, silentLosses: 0 };

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...walk(p));
  }
  return out;
}

/** The pristine restore of a fixture, made once, to compare every output file of a mutated one. */
function referenceOf(c: Case): Promise<string | undefined> {
  if (!c.reference) return Promise.resolve(undefined);
  let made = references.get(c.reference);
  if (!made) {
    const dir = join(root, `ref-${references.size}`);
    made = extract(c.reference, { passphrase: 'qubes', dest: dir, registry: registry() }).then(() => dir);
    references.set(c.reference, made);
  }
  return made;
}

interface Outcome { ok: boolean; error?: unknown }
async function attempt(f: () => Promise<unknown>): Promise<Outcome> {
  try { await f(); return { ok: true }; } catch (error) { return { ok: false, error }; }
}

/** Problems with one outcome, as sentences (empty when it is what the case expects). */
function judge(c: Case, what: string, o: Outcome): string[] {
  const x = c.expect;
  if (o.ok) {
    if (x.ok || x.okAllowed) return [];
    if (x.lostVmData?.length) figures.silentLosses++;
    return [`${what}: succeeded, expected ${x.codes?.join('|')}`];
  }
  const e = o.error;
  if (!isQubesBackupError(e)) {
    figures.crashes++;
    return [`${what}: crashed with ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack ?? ''}`];
  }
  const problems: string[] = [];
  if (x.ok) problems.push(`${what}: failed (${e.code}: ${e.message}), expected success`);
  else if (!x.codes?.includes(e.code)) problems.push(`${what}: ${e.code} (${e.message}), expected ${x.codes?.join('|')}`);
  if (/[\r\n]/.test(e.message)) problems.push(`${what}: message is not one line: ${JSON.stringify(e.message)}`);
  if (x.member === null) {
    if (e.member === undefined && !/offset \d+|empty|not a tar|not a Qubes backup|not a backup this tool reads/.test(e.message)) problems.push(`${what}: message names neither a member nor an offset: ${e.message}`);
  } else if (x.member && !x.ok) {
    if (e.member === undefined) problems.push(`${what}: error names no member (expected one of ${x.member.join(', ')}): ${e.message}`);
    else if (!x.member.includes(e.member)) problems.push(`${what}: names member '${e.member}', expected one of ${x.member.join(', ')}: ${e.message}`);
    else if (!e.message.includes(e.member)) problems.push(`${what}: message does not say the member: ${e.message}`);
  }
  return problems;
}

/** Files outside dest, and output bytes that differ from the pristine restore. */
function inspectSandbox(c: Case, sandbox: string, dest: string, ref: string | undefined): string[] {
  const problems: string[] = [];
  for (const p of walk(sandbox)) {
    const rel = relative(sandbox, p);
    if (rel === 'backup.bin' || rel === 'dest' || rel.startsWith(`dest/`)) continue;
    figures.escapes++;
    problems.push(`escape: '${rel}' was created outside the destination`);
  }
  if (existsSync(ABS_ESCAPE)) { figures.escapes++; problems.push(`escape: ${ABS_ESCAPE} was written`); rmSync(ABS_ESCAPE, { force: true }); }
  if (!ref || c.crafted) return problems;
  for (const p of walk(dest)) {
    const st = lstatSync(p);
    const rel = relative(dest, p);
    if (!st.isFile() || rel.endsWith('vm.json')) continue;
    const partial = rel.endsWith('.partial');
    const name = partial ? rel.slice(0, -'.partial'.length) : rel;
    const refPath = join(ref, name);
    const got = readFileSync(p);
    const want = existsSync(refPath) && lstatSync(refPath).isFile() ? readFileSync(refPath) : undefined;
    if (!want) { figures.unauthenticatedBytes += got.length; problems.push(`output '${rel}' is not in the pristine restore`); continue; }
    if (!partial) {
      if (!got.equals(want)) { figures.unauthenticatedBytes += countDiff(got, want); problems.push(`complete output '${rel}' differs from the pristine restore`); }
    } else {
      let bad = got.length > want.length ? got.length - want.length : 0;
      for (let i = 0; i < Math.min(got.length, want.length); i++) if (got[i] !== 0 && got[i] !== want[i]) bad++;
      if (bad) { figures.unauthenticatedBytes += bad; problems.push(`'${rel}' holds ${bad} bytes the pristine restore does not have`); }
    }
  }
  return problems;
}

function countDiff(a: Buffer, b: Buffer): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

async function runCase(c: Case): Promise<string[]> {
  const sandbox = join(root, c.id.replace(/[^\w.-]/g, '_'));
  const dest = join(sandbox, 'dest');
  mkdirSync(sandbox, { recursive: true });
  const file = join(sandbox, 'backup.bin');
  writeFileSync(file, c.bytes());
  const passphrase = c.expect.passphrase ?? c.passphrase;
  // Files the sink reported as written in full: a failed member's must not be left behind complete
  // (a symlink of the same name before it is another member; a failed unit's output is removed).
  const completed = new Map<string, string>();
  const onEvent = (e: RestoreEvent) => { if (e.type === 'member' && e.result.output !== undefined && e.result.type === 'file') completed.set(`${e.unit}:${e.result.member}`, e.result.output); };
  try {
    const [v, x] = await Promise.all([
      attempt(() => verify(file, { passphrase, registry: registry() })),
      attempt(() => extract(file, { passphrase, dest, registry: registry(), onEvent })),
    ]);
    const problems = [...judge(c, 'verify', v), ...judge(c, 'extract', x)];
    const failedVm = reportOf(x.error)?.units.find((r) => r.status === 'failed')?.name;
    const failed = !x.ok && isQubesBackupError(x.error) && x.error.member !== undefined ? `${failedVm}:${x.error.member}` : undefined;
    const left = failed !== undefined ? completed.get(failed) : undefined;
    if (left !== undefined && existsSync(join(dest, left))) problems.push(`extract: the failed member '${failed}' was left complete-looking at ${left}`);
    return [...problems, ...inspectSandbox(c, sandbox, dest, await referenceOf(c))];
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

describe('adversarial corpus', () => {
  beforeAll(async () => {
    rmSync(ABS_ESCAPE, { force: true });
    // The pristine restores first, so their time is not charged to the first case of each fixture.
    for (const c of cases) await referenceOf(c);
  }, 600_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    const byClass: Record<string, number> = {};
    for (const c of cases) byClass[c.klass] = (byClass[c.klass] ?? 0) + 1;
    // One line for the report: counts by class and the three figures.
    process.stderr.write(`adversarial: ${JSON.stringify({ ...figures, byClass })}\n`);
  });

  test(`has at least ${hasSharedFixtures ? '150 cases across v3 and v4' : '60 v4 cases (v3 needs shared/fixtures)'}`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(hasSharedFixtures ? 150 : 60);
    expect(cases.filter((c) => c.format === 'v3').length).toBeGreaterThanOrEqual(hasSharedFixtures ? 50 : 0);
    expect(cases.filter((c) => c.format === 'v4').length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  for (const what of skipped) test.skip(`${what} (needs ../shared/fixtures, absent here)`, () => undefined);

  for (const c of cases) {
    test.concurrent(`${c.klass}: ${c.id}`, async () => {
      figures.cases++;
      const problems = await runCase(c);
      expect(problems).toEqual([]);
    }, CASE_TIMEOUT);
  }
});
