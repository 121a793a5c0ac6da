// The adversarial corpus as data: every case is a function of valid fixtures (byte mutations made
// here, at run time) or of the committed crafted pieces (authentic hostile members, made once with
// the real tools by make-adversarial.mjs --crafted). Each case carries what a correct restore does.
import fs from 'node:fs';
import path from 'node:path';
import {
  concat, insertAfter, memberOf, outerMember, parseOuter, renameMember, reorderMembers, replaceMembers,
} from './lib/tar.mjs';
import { BASES, craftedCases } from './lib/crafted.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);
export const REPO = path.resolve(HERE, '../..');
export const CRAFTED_DIR = path.join(REPO, 'test-fixtures/adversarial');

/** shared/fixtures beside the repo (a CI clone has it next to the checkout), if present. */
export function sharedFixtures() {
  for (const p of [path.resolve(REPO, '../shared/fixtures'), '/work/shared/fixtures']) {
    if (fs.existsSync(path.join(p, 'qubes'))) return p;
  }
  return undefined;
}

const flip = (buf, at, bit = 0) => { const b = Uint8Array.from(buf); b[at] ^= 1 << bit; return b; };

/** Deterministic positions: `n` points spread over [from, to). */
const spread = (from, to, n) => Array.from({ length: n }, (_, i) => from + Math.floor(((i + 0.5) * (to - from)) / n));

/** Names a chunk failure may carry: the chunk, its `.hmac`, or the stored file. */
function names(chunk) {
  const base = chunk.replace(/\.enc$|\.hmac$/, '');
  const file = base.replace(/\.\d{3,}$/, '');
  return [chunk, base, `${base}.enc`, `${base}.hmac`, file];
}

const H = ['backup-header', 'backup-header.hmac'];

function fixtureSets() {
  const shared = sharedFixtures();
  const sets = [
    { format: 'v4', name: 'v4-sample', file: path.join(REPO, 'test-fixtures/v4-sample/backup.bin'), passphrase: 'qubes',
      chunks: ['qubes.xml.000.enc', 'vm5/private.img.000.enc', 'dom0-home/user.000.enc'] },
  ];
  if (shared) {
    sets.push({ format: 'v3', name: 'v3-encrypted-gzip', file: path.join(shared, 'qubes/v3-encrypted-gzip/qubes-2023-11-14T221320'), passphrase: 'qubes',
      encrypted: true, chunks: ['qubes.xml.000', 'vm5/private.img.000', 'dom0-home/user.000'] });
    sets.push({ format: 'v3', name: 'v3-plain-gzip', file: path.join(shared, 'qubes/v3-plain-gzip/qubes-2023-11-14T221320'), passphrase: 'qubes',
      encrypted: false, truncations: 6, chunks: ['qubes.xml.000', 'dom0-home/user.000'] });
  }
  return sets.filter((s) => fs.existsSync(s.file));
}

/**
 * All cases: { id, klass, format, fixture, passphrase, bytes(): Uint8Array, expect, reference? }.
 * expect: { ok: true } | { codes, member: names | null (null: the damage left no name, an offset
 * is enough), okAllowed?: true (a cut that only drops whole optional members) }.
 */
export function buildCorpus() {
  const cases = [];
  for (const fx of fixtureSets()) cases.push(...mutationCases(fx));
  cases.push(...spliceCases());
  cases.push(...craftedCorpus());
  return cases;
}

function mutationCases(fx) {
  const out = [];
  const orig = new Uint8Array(fs.readFileSync(fx.file));
  const members = parseOuter(orig);
  const add = (id, klass, make, expect) => out.push({ id: `${fx.name}-${id}`, klass, format: fx.format, fixture: fx.name, passphrase: fx.passphrase, bytes: make, expect, reference: fx.file });
  const m = (n) => memberOf(members, n);

  // Bit flips, region by region.
  for (const name of ['backup-header', fx.chunks[0], fx.chunks[1]]) {
    for (const [i, at] of [[0, 3], [1, 124 + 5]]) {
      add(`flip-tar-header-${name.replace(/\W/g, '_')}-${i}`, 'flip-outer-tar-header', () => flip(orig, m(name).header + at, 2), { codes: ['E_CORRUPT'], member: null });
    }
  }
  for (const at of spread(0, m('backup-header').size, 3)) {
    add(`flip-backup-header-${at}`, 'flip-backup-header', () => flip(orig, m('backup-header').data + at, 1), { codes: ['E_PASSPHRASE', 'E_AUTH', 'E_CORRUPT'], member: H });
  }
  for (const at of spread(0, m('backup-header.hmac').size, 3)) {
    add(`flip-backup-header-hmac-${at}`, 'flip-backup-header-hmac', () => flip(orig, m('backup-header.hmac').data + at, 0), { codes: ['E_PASSPHRASE', 'E_AUTH', 'E_CORRUPT'], member: H });
  }
  for (const chunk of fx.chunks) {
    const c = m(chunk);
    const exp = (codes) => ({ codes, member: names(chunk) });
    if (fx.format === 'v4') {
      add(`flip-scrypt-magic-${chunk}`, 'flip-scrypt-header', () => flip(orig, c.data + 0, 0), exp(['E_CORRUPT', 'E_AUTH']));
      add(`flip-scrypt-logn-${chunk}`, 'flip-scrypt-header', () => flip(orig, c.data + 7, 0), exp(['E_AUTH', 'E_UNSUPPORTED', 'E_CORRUPT']));
      add(`flip-scrypt-logn-high-${chunk}`, 'flip-scrypt-header', () => flip(orig, c.data + 7, 4), exp(['E_AUTH', 'E_UNSUPPORTED', 'E_CORRUPT']));
      add(`flip-scrypt-checksum-${chunk}`, 'flip-scrypt-header', () => flip(orig, c.data + 50, 3), exp(['E_CORRUPT', 'E_AUTH']));
      add(`flip-scrypt-header-hmac-${chunk}`, 'flip-scrypt-header', () => flip(orig, c.data + 70, 5), exp(['E_AUTH']));
      for (const at of spread(16, 48, 2)) add(`flip-scrypt-salt-${chunk}-${at}`, 'flip-scrypt-salt', () => flip(orig, c.data + at, 6), exp(['E_AUTH', 'E_CORRUPT']));
      for (const at of spread(96, c.size - 32, 3)) add(`flip-ciphertext-${chunk}-${at}`, 'flip-ciphertext', () => flip(orig, c.data + at, 7), exp(['E_AUTH']));
      for (const at of [c.size - 32, c.size - 1]) add(`flip-trailing-mac-${chunk}-${at}`, 'flip-trailing-mac', () => flip(orig, c.data + at, 1), exp(['E_AUTH']));
    } else {
      const t = m(`${chunk}.hmac`);
      for (const at of spread(0, t.size, 3)) add(`flip-hmac-text-${chunk}-${at}`, 'flip-hmac-text', () => flip(orig, t.data + at, 0), exp(['E_AUTH', 'E_CORRUPT']));
      if (fx.encrypted) {
        for (const at of [8, 15]) add(`flip-openssl-salt-${chunk}-${at}`, 'flip-openssl-salt', () => flip(orig, c.data + at, 3), exp(['E_AUTH']));
        add(`flip-openssl-magic-${chunk}`, 'flip-openssl-salt', () => flip(orig, c.data + 2, 3), exp(['E_AUTH']));
        add(`flip-last-cbc-block-${chunk}`, 'flip-last-cbc-block', () => flip(orig, c.data + c.size - 9, 4), exp(['E_AUTH']));
      }
      for (const at of spread(16, c.size - 16, 2)) add(`flip-ciphertext-${chunk}-${at}`, 'flip-ciphertext', () => flip(orig, c.data + at, 7), exp(['E_AUTH']));
    }
  }

  // Truncation: inside members, at member boundaries, inside the zero padding.
  const points = [];
  const chunkList = members.filter((x) => x.name !== 'backup-header' && x.name !== 'backup-header.hmac');
  points.push(['empty', 0], ['inside-first-header', 100]);
  for (const x of members.slice(0, 6)) points.push([`inside-${x.name}`, x.data + Math.max(1, Math.floor(x.size / 2))]);
  for (const x of members.slice(1, 6)) points.push([`before-${x.name}`, x.start]);
  for (const x of members.slice(0, 4)) points.push([`padding-after-${x.name}`, Math.min(x.end + 512, x.next)]);
  points.push(['last-byte', orig.length - 1], ['one-block-short', orig.length - 512], ['last-data-byte', members.at(-1).data + members.at(-1).size - 1]);
  for (const [label, at] of points.slice(0, fx.truncations ?? 20)) {
    add(`truncate-${label}`, 'truncation', () => orig.subarray(0, at), truncationExpect(fx, members, at));
  }
  void chunkList;

  // Structure: missing, duplicated, reordered, renamed chunks.
  const order = members.map((x) => x.name);
  const without = (n) => order.filter((x) => x !== n && x !== `${n}.hmac`);
  const target = fx.chunks[1];
  const group = (n) => (fx.format === 'v3' ? [n, `${n}.hmac`] : [n]);
  add(`missing-${target}`, 'chunk-missing', () => reorderMembers(orig, without(target)), { codes: ['E_CORRUPT'], member: names(target), okAllowed: false });
  // The message says what is missing and names the member found in its place.
  const afterXml = without(fx.chunks[0])[2];
  add('missing-qubes-xml', 'chunk-missing', () => reorderMembers(orig, without(fx.chunks[0])), { codes: ['E_CORRUPT'], member: names(fx.chunks[0]).concat(names(afterXml)) });
  add('missing-backup-header-hmac', 'chunk-missing', () => reorderMembers(orig, order.filter((x) => x !== 'backup-header.hmac')), { codes: ['E_CORRUPT', 'E_PASSPHRASE'], member: H.concat(order[2]) });
  add(`duplicate-${target}`, 'chunk-duplicated', () => reorderMembers(orig, order.flatMap((x) => (x === group(target).at(-1) ? [x, ...group(target)] : [x]))), { codes: ['E_CORRUPT'], member: names(target) });
  add('duplicate-backup-header', 'chunk-duplicated', () => reorderMembers(orig, ['backup-header', ...order]), { codes: ['E_CORRUPT'], member: H });
  if (fx.format === 'v3') {
    const afterHmac = order[order.indexOf(`${target}.hmac`) + 1];
    add(`missing-hmac-of-${target}`, 'chunk-missing', () => reorderMembers(orig, order.filter((x) => x !== `${target}.hmac`)), { codes: ['E_CORRUPT', 'E_AUTH'], member: names(target).concat(afterHmac ? names(afterHmac) : []) });
    add(`hmac-before-chunk-${target}`, 'chunk-reordered', () => reorderMembers(orig, order.flatMap((x) => (x === target ? [] : x === `${target}.hmac` ? [x, target] : [x]))), { codes: ['E_CORRUPT', 'E_AUTH'], member: names(target) });
  }
  const last = fx.chunks.at(-1);
  add(`reordered-${last}-first`, 'chunk-reordered', () => reorderMembers(orig, ['backup-header', 'backup-header.hmac', ...group(last), ...order.slice(2).filter((x) => !group(last).includes(x))]), { codes: ['E_CORRUPT'], member: names(last).concat(names(fx.chunks[0])) });
  const stem = target.replace(/\.enc$/, '');
  const ext = fx.format === 'v4' ? '.enc' : '';
  const renamedTo = `${stem.replace(/\.000$/, '.001')}${ext}`;
  add(`renamed-${target}-to-001`, 'chunk-renamed', () => {
    let b = renameMember(orig, target, renamedTo);
    if (fx.format === 'v3') b = renameMember(b, `${target}.hmac`, `${renamedTo}.hmac`);
    return b;
  }, { codes: ['E_CORRUPT', 'E_AUTH'], member: names(renamedTo).concat(names(target)) });
  const otherName = `${fx.chunks[1].replace(/private\.img/, 'root.img')}`;
  if (otherName !== target) add(`renamed-${target}-to-root-img`, 'chunk-renamed', () => {
    let b = renameMember(orig, target, otherName);
    if (fx.format === 'v3') b = renameMember(b, `${target}.hmac`, `${otherName}.hmac`);
    return b;
    // v3 MACs do not bind names: the chunk authenticates, and its inner member lies outside the archive.
  }, fx.format === 'v4' ? { codes: ['E_AUTH'], member: names(otherName) } : { codes: ['E_UNSAFE_PATH', 'E_AUTH', 'E_CORRUPT'], member: names(otherName).concat(target.replace(/\.000$/, '')) });
  add('renamed-member-dotdot', 'chunk-renamed', () => renameMember(orig, target, `../${target}`), { codes: ['E_CORRUPT', 'E_UNSAFE_PATH'], member: [...names(`../${target}`), ...names(target)] });

  if (fx.format === 'v4') {
    add('empty-trailing-member-renamed', 'chunk-renamed', () => insertAfter(orig, 'vm5/private.img.000.enc', outerMember('vm5/private.img.001.enc', new Uint8Array(0))), { codes: ['E_CORRUPT', 'E_AUTH'], member: names('vm5/private.img.001.enc') });
  }
  add('wrong-passphrase', 'wrong-passphrase', () => orig, { codes: ['E_PASSPHRASE'], member: H, passphrase: 'qubes!' });
  add('wrong-passphrase-trailing-newline', 'wrong-passphrase', () => orig, { codes: ['E_PASSPHRASE'], member: H, passphrase: 'qubes\n' });
  return out;
}

/** Which outcome a cut at `at` allows. */
function truncationExpect(fx, members, at) {
  if (at === 0) return { codes: ['E_CORRUPT'], member: null };
  const hit = members.find((x) => at > x.header - (x.header - x.start) && at < x.data + x.size);
  if (hit) {
    if (at < hit.data) return { codes: ['E_CORRUPT'], member: null };
    const auth = hit.name.startsWith('backup-header') ? ['E_CORRUPT', 'E_PASSPHRASE', 'E_AUTH'] : ['E_CORRUPT', 'E_AUTH'];
    return { codes: auth, member: hit.name.startsWith('backup-header') ? H : names(hit.name) };
  }
  // Only whole members after the cut are gone: fine when they were optional; a VM (or the qubes.xml,
  // or the header) with no data left must not restore as if nothing were missing.
  // A v3 chunk counts only with its `.hmac`.
  const whole = (x) => x.data + x.size <= at;
  const kept = members.filter((x) => whole(x) && (fx.format !== 'v3' || x.name.endsWith('.hmac') || x.name.startsWith('backup-header') || members.some((y) => y.name === `${x.name}.hmac` && whole(y)))).map((x) => x.name);
  const lost = members.filter((x) => !kept.includes(x.name)).map((x) => x.name);
  // tar writes whole blocks: a file that ends inside one was cut, perhaps in the padding of a member
  // in the middle (the reader cannot tell), so it is refused even when nothing is lost.
  const midBlock = at % 512 !== 0;
  if (lost.length === 0 && !midBlock) return { ok: true };
  const dirOf = (n) => (n.startsWith('dom0-home/') ? 'dom0-home' : n.split('/')[0]);
  const vmDirs = new Set(members.map((x) => x.name).filter((n) => n.includes('/')).map(dirOf));
  const emptied = [...vmDirs].filter((d) => !kept.some((n) => n.startsWith(`${d}/`)));
  const structural = lost.some((n) => n.startsWith('backup-header') || n.startsWith('qubes.xml'));
  // A v3 chunk whose `.hmac` was cut off fails anyway; otherwise an emptied VM is a silent loss.
  const dangling = members.some((x) => whole(x) && !kept.includes(x.name));
  const silent = !structural && !dangling ? emptied : [];
  // A VM left without any data is named by its folder (`vm5/`): which of its files are gone is unknowable.
  const vmNames = emptied.flatMap((d) => [d, `${d}/`]);
  // Cut before the end marker that follows every member: the error may name that last whole member
  // (the backup ends after it) instead of one that is gone.
  const lastWhole = members.filter(whole).at(-1);
  const after = lastWhole ? names(lastWhole.name) : [];
  return {
    codes: ['E_CORRUPT', 'E_AUTH'], member: lost.flatMap(names).concat(H, vmNames, after), okAllowed: !midBlock && !structural && emptied.length === 0, lostVmData: silent,
  };
}

/** Chunks moved between VMs or spliced from another backup with the same passphrase (v4, no tools needed). */
function spliceCases() {
  const out = [];
  const multi = path.join(REPO, 'test-fixtures/v4-gnu-sparse-multichunk/backup.bin');
  const sample = path.join(REPO, 'test-fixtures/v4-sample/backup.bin');
  const files = path.join(REPO, 'test-fixtures/v4-files/backup.bin');
  if (fs.existsSync(multi)) {
    const b = new Uint8Array(fs.readFileSync(multi));
    const ms = parseOuter(b);
    const vms = [...new Set(ms.map((x) => x.name).filter((n) => /^vm\d+\/private\.img\.\d+\.enc$/.test(n)).map((n) => n.split('/')[0]))];
    if (vms.length >= 2) {
      const [a, c] = vms;
      const add = (id, make, expect) => out.push({ id: `v4-gnu-sparse-multichunk-${id}`, klass: id.replace(/-\d+$/, '').replace(/^(chunk-[a-z]+)-.*$/, '$1'), format: 'v4', fixture: 'v4-gnu-sparse-multichunk', passphrase: 'qubes', bytes: make, expect, reference: multi });
      // Moved: vmA's second chunk stored under vmB's name (same index), replacing vmB's.
      const from = memberOf(ms, `${a}/private.img.001.enc`);
      add('chunk-moved-between-vms', () => replaceMembers(b, { [`${c}/private.img.001.enc`]: b.subarray(from.data, from.data + from.size) }), { codes: ['E_AUTH'], member: names(`${c}/private.img.001.enc`) });
      add('chunk-moved-between-vms-renamed', () => renameMember(b, `${a}/private.img.001.enc`, `${c}/private.img.009.enc`), { codes: ['E_CORRUPT', 'E_AUTH'], member: names(`${a}/private.img.002.enc`).concat(names(`${c}/private.img.009.enc`)) });
      add('chunk-swapped-in-file', () => reorderMembers(b, ms.map((x) => x.name).map((n) => (n === `${a}/private.img.001.enc` ? `${a}/private.img.002.enc` : n === `${a}/private.img.002.enc` ? `${a}/private.img.001.enc` : n))), { codes: ['E_CORRUPT'], member: names(`${a}/private.img.002.enc`) });
      add('chunk-swapped-content', () => {
        const one = memberOf(ms, `${a}/private.img.001.enc`); const two = memberOf(ms, `${a}/private.img.002.enc`);
        return replaceMembers(b, { [one.name]: b.subarray(two.data, two.data + two.size), [two.name]: b.subarray(one.data, one.data + one.size) });
      }, { codes: ['E_AUTH'], member: names(`${a}/private.img.001.enc`) });
      add('chunk-missing-middle', () => reorderMembers(b, ms.map((x) => x.name).filter((n) => n !== `${a}/private.img.001.enc`)), { codes: ['E_CORRUPT'], member: names(`${a}/private.img.002.enc`) });
      add('chunk-duplicated-middle', () => reorderMembers(b, ms.map((x) => x.name).flatMap((n) => (n === `${a}/private.img.001.enc` ? [n, n] : [n]))), { codes: ['E_CORRUPT'], member: names(`${a}/private.img.001.enc`) });
      add('chunk-missing-last', () => reorderMembers(b, ms.map((x) => x.name).filter((n) => n !== lastChunk(ms, a))), { codes: ['E_CORRUPT', 'E_AUTH'], member: names(lastChunk(ms, a)).concat(names(`${a}/private.img.000.enc`)) });
    }
  }
  if (fs.existsSync(sample) && fs.existsSync(files)) {
    // Same passphrase, another backup: its private.img chunk under this backup's name.
    const s = new Uint8Array(fs.readFileSync(sample));
    const f = new Uint8Array(fs.readFileSync(files));
    const fm = parseOuter(f);
    const foreign = fm.find((x) => /\/private\.img\.000\.enc$/.test(x.name));
    const foreignXml = memberOf(fm, 'qubes.xml.000.enc');
    const add = (id, make, expect) => out.push({ id: `v4-sample-${id}`, klass: 'chunk-spliced', format: 'v4', fixture: 'v4-sample', passphrase: 'qubes', bytes: make, expect, reference: sample });
    add('spliced-private-img', () => replaceMembers(s, { 'vm5/private.img.000.enc': f.subarray(foreign.data, foreign.data + foreign.size) }), { codes: ['E_AUTH'], member: names('vm5/private.img.000.enc') });
    add('spliced-qubes-xml', () => replaceMembers(s, { 'qubes.xml.000.enc': f.subarray(foreignXml.data, foreignXml.data + foreignXml.size) }), { codes: ['E_AUTH'], member: names('qubes.xml.000.enc') });
    add('spliced-header-pair', () => {
      const h = memberOf(fm, 'backup-header'); const t = memberOf(fm, 'backup-header.hmac');
      return replaceMembers(s, { 'backup-header': f.subarray(h.data, h.data + h.size), 'backup-header.hmac': f.subarray(t.data, t.data + t.size) });
    }, { codes: ['E_AUTH'], member: names('qubes.xml.000.enc') });
    add('spliced-whole-file-appended', () => concat([s, f.subarray(foreign.start, foreign.next)]), { codes: ['E_AUTH', 'E_CORRUPT'], member: names(foreign.name), okAllowed: true });
    add('not-a-tar', () => new TextEncoder().encode('this is not a tar archive\n'.repeat(100)), { codes: ['E_CORRUPT'], member: null });
    add('random-bytes', () => { const r = new Uint8Array(8192); let x = 12345; for (let i = 0; i < r.length; i++) { x = (x * 1103515245 + 12345) >>> 0; r[i] = x >>> 24; } return r; }, { codes: ['E_CORRUPT'], member: null });
    add('zero-blocks-only', () => new Uint8Array(10240), { codes: ['E_CORRUPT'], member: null });
    add('header-only', () => s.subarray(0, memberOf(parseOuter(s), 'qubes.xml.000.enc').start), { codes: ['E_CORRUPT'], member: ['qubes.xml.000.enc', 'qubes.xml', ...H] });
    for (const c of out.slice(-4)) c.klass = c.id.includes('header-only') ? 'empty-backup' : c.id.includes('zero') ? 'empty-backup' : 'not-a-tar';
    out.push({ id: 'empty-file', klass: 'empty-backup', format: 'v4', fixture: 'none', passphrase: 'qubes', bytes: () => new Uint8Array(0), expect: { codes: ['E_CORRUPT'], member: null } });
  }
  return out;
}

function lastChunk(ms, vm) {
  return ms.map((x) => x.name).filter((n) => n.startsWith(`${vm}/private.img.`)).at(-1);
}

/** The committed crafted cases spliced into their bases (a v3 base is skipped when shared/ is absent). */
export function craftedCorpus() {
  const indexFile = path.join(CRAFTED_DIR, 'index.json');
  if (!fs.existsSync(indexFile)) return [];
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  const shared = sharedFixtures();
  const out = [];
  for (const c of craftedCases()) {
    const pieces = index[c.id];
    if (!pieces) continue;
    const base = BASES[c.base];
    const file = base.shared ? (shared ? path.join(shared, base.fixture) : undefined) : path.join(REPO, base.fixture);
    if (!file || !fs.existsSync(file)) continue;
    out.push({
      id: c.id, klass: c.klass, format: c.base, fixture: path.basename(path.dirname(file)), passphrase: base.passphrase, crafted: true,
      bytes: () => {
        const orig = new Uint8Array(fs.readFileSync(file));
        const repl = Object.fromEntries(Object.entries(pieces).map(([member, rel]) => [member, new Uint8Array(fs.readFileSync(path.join(CRAFTED_DIR, rel)))]));
        return replaceMembers(orig, repl);
      },
      expect: c.expect,
    });
  }
  return out;
}
