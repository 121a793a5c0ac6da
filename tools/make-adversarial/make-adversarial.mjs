#!/usr/bin/env node
// The adversarial corpus of issue 4.
//   --crafted        rebuild test-fixtures/adversarial/ (hostile but authentic members, made with the
//                    real scrypt / openssl / gzip; needs the v3 fixtures in shared/ for the v3 pieces)
//   --out DIR        write every case as DIR/<id>.bin plus DIR/cases.json (to run the CLI by hand)
//   --list           print the cases by class
//   -v               print every command run
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, setVerbose } from '../make-fixture/lib/proc.mjs';
import { BASES, craftedCases } from './lib/crafted.mjs';
import { writeTar, parseOuter, memberOf } from './lib/tar.mjs';
import { buildCorpus, CRAFTED_DIR, REPO, sharedFixtures } from './corpus.mjs';

const args = process.argv.slice(2);
if (args.includes('-v')) setVerbose(true);

const SCRYPT_KDF = ['--logN', '10', '-r', '8', '-p', '1'];

function scryptEnc(plain, passphrase) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-'));
  try {
    fs.writeFileSync(path.join(dir, 'in'), plain);
    run('scrypt', ['enc', '-P', ...SCRYPT_KDF, path.join(dir, 'in'), path.join(dir, 'out')], { input: `${passphrase}\n` });
    return fs.readFileSync(path.join(dir, 'out'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const gzip = (data) => run('gzip', ['-n', '-c'], { input: data }).stdout;
const opensslEnc = (data, pass) => run('openssl', ['enc', '-e', '-aes-256-cbc', '-md', 'MD5', '-pass', `pass:${pass}`], { input: data }).stdout;
const opensslDec = (data, pass) => run('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'MD5', '-pass', `pass:${pass}`], { input: data }).stdout;
const hmacText = (data, pass) => run('openssl', ['dgst', '-sha512', '-hmac', pass], { input: data }).stdout;

function memberData(buf, name) {
  const m = memberOf(parseOuter(buf), name);
  return buf.subarray(m.data, m.data + m.size);
}

/** qubes.xml of a base, decrypted with the real tools. */
function baseQubesXml(base, buf) {
  const B = BASES[base];
  let tarBytes;
  if (base === 'v4') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-'));
    fs.writeFileSync(path.join(dir, 'x.enc'), memberData(buf, 'qubes.xml.000.enc'));
    run('scrypt', ['dec', '-P', path.join(dir, 'x.enc'), path.join(dir, 'x')], { input: `${B.backupId}!qubes.xml.000!${B.passphrase}\n` });
    tarBytes = run('gunzip', ['-c'], { input: fs.readFileSync(path.join(dir, 'x')) }).stdout;
    fs.rmSync(dir, { recursive: true, force: true });
  } else {
    tarBytes = run('gunzip', ['-c'], { input: opensslDec(memberData(buf, 'qubes.xml.000'), B.passphrase) }).stdout;
  }
  return run('tar', ['-xOf', '-', 'qubes.xml'], { input: tarBytes }).stdout.toString('utf8');
}

/** Outer members (name → bytes) for one stored file's inner tar, authenticated as the base does. */
function storedFile(base, stored, innerTar) {
  const B = BASES[base];
  const z = gzip(innerTar);
  if (base === 'v4') return { [`${stored}.000.enc`]: scryptEnc(z, `${B.backupId}!${stored}.000!${B.passphrase}`) };
  const c = opensslEnc(z, B.passphrase);
  return { [`${stored}.000`]: c, [`${stored}.000.hmac`]: hmacText(c, B.passphrase) };
}

function buildCrafted() {
  const shared = sharedFixtures();
  fs.rmSync(CRAFTED_DIR, { recursive: true, force: true });
  fs.mkdirSync(CRAFTED_DIR, { recursive: true });
  const index = {};
  const xmlCache = {};
  for (const c of craftedCases()) {
    const B = BASES[c.base];
    const file = B.shared ? (shared ? path.join(shared, B.fixture) : undefined) : path.join(REPO, B.fixture);
    if (!file || !fs.existsSync(file)) { console.error(`skip ${c.id}: no base ${B.fixture}`); continue; }
    const buf = new Uint8Array(fs.readFileSync(file));
    const p = c.pieces;
    const members = {};
    if (p.header) {
      members['backup-header'] = p.header;
      members['backup-header.hmac'] = c.base === 'v4' ? scryptEnc(p.header, `backup-header!${B.passphrase}`) : hmacText(p.header, B.passphrase);
    }
    if (p.qubesXml) {
      xmlCache[c.base] ??= baseQubesXml(c.base, buf);
      const xml = p.qubesXml(xmlCache[c.base]);
      if (xml === xmlCache[c.base]) throw new Error(`${c.id}: the qubes.xml edit changed nothing`);
      Object.assign(members, storedFile(c.base, 'qubes.xml', writeTar([{ name: 'qubes.xml', type: 'file', data: new TextEncoder().encode(xml) }])));
    }
    if (p.vmFile) {
      let t = writeTar(p.vmFile);
      if (p.vmFileTrailer) t = Buffer.concat([t, Buffer.alloc(p.vmFileTrailer)]);
      Object.assign(members, storedFile(c.base, `${B.vmDir}/private.img`, t));
    }
    if (p.dom0) Object.assign(members, storedFile(c.base, B.dom0, writeTar(p.dom0)));
    const dir = path.join(CRAFTED_DIR, c.id);
    fs.mkdirSync(dir, { recursive: true });
    index[c.id] = {};
    for (const [name, data] of Object.entries(members)) {
      const rel = `${c.id}/${name.replace(/\//g, '%2F')}`;
      fs.writeFileSync(path.join(CRAFTED_DIR, rel), data);
      index[c.id][name] = rel;
    }
    console.error(`${c.id}: ${Object.keys(members).join(', ')}`);
  }
  fs.writeFileSync(path.join(CRAFTED_DIR, 'index.json'), JSON.stringify(index, null, 1) + '\n');
}

if (args.includes('--crafted')) buildCrafted();
if (args.includes('--list') || args.includes('--out')) {
  const cases = buildCorpus();
  const byClass = {};
  for (const c of cases) byClass[c.klass] = (byClass[c.klass] ?? 0) + 1;
  if (args.includes('--list')) {
    for (const [k, n] of Object.entries(byClass).sort()) console.log(`${String(n).padStart(4)}  ${k}`);
    console.log(`${String(cases.length).padStart(4)}  total (${cases.filter((c) => c.format === 'v4').length} v4, ${cases.filter((c) => c.format === 'v3').length} v3)`);
  }
  const outIdx = args.indexOf('--out');
  if (outIdx >= 0) {
    const out = args[outIdx + 1];
    fs.mkdirSync(out, { recursive: true });
    for (const c of cases) fs.writeFileSync(path.join(out, `${c.id}.bin`), c.bytes());
    fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify(cases.map(({ bytes, ...rest }) => rest), null, 1) + '\n');
    console.error(`${cases.length} cases in ${out}`);
  }
}
if (!args.some((a) => ['--crafted', '--list', '--out'].includes(a))) {
  console.log('usage: make-adversarial.mjs [--crafted] [--list] [--out DIR] [-v]');
}
