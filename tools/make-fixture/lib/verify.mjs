// Restore a generated backup by hand, with the commands of Qubes' emergency restore procedure
// (tar -i -x, scrypt dec, <filter> -d, tar -x), and compare every result with the manifest.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { q, run, sh } from './proc.mjs';
import { describe, describeImage, walk, sha256File } from './inner.mjs';
import { scryptDec } from './v4.mjs';
import { listExt4 } from './ext4.mjs';

function fail(msg) {
  throw new Error(`verify: ${msg}`);
}

export function verifyV4(manifest, backup, work) {
  const dir = fs.mkdtempSync(path.join(work, 'verify-'));
  const outer = path.join(dir, 'outer');
  const plain = path.join(dir, 'plain');
  const restored = path.join(dir, 'restored');
  for (const d of [outer, plain, restored]) fs.mkdirSync(d);

  // Outer layer: a plain `tar -t` must stop after the first member; `-i` lists them all.
  const first = run('tar', ['-tf', backup]).stdout.toString().trim().split('\n');
  if (first.length !== 1 || first[0] !== 'backup-header') fail(`plain tar -t listed ${first.join(',')}`);
  const listing = run('tar', ['-itvf', backup]).stdout.toString().trim().split('\n').map((l) => {
    const m = /^\S+ \S+\s+(\d+) \S+ \S+ (.*)$/.exec(l);
    return { name: m[2], size: Number(m[1]) };
  });
  if (!isDeepStrictEqual(listing, manifest.outer_members)) fail('outer member list differs from the manifest');
  if (fs.statSync(backup).size !== manifest.outer_members.length * 10240 + sumPadding(manifest.outer_members)) {
    fail('outer archive is not one 10240-byte-padded pax archive per member');
  }
  run('tar', ['-i', '-x', '-f', backup, '-C', outer]);

  const header = fs.readFileSync(path.join(outer, 'backup-header'), 'latin1');
  if (header !== manifest.header) fail('backup-header text differs');
  const hmacPlain = path.join(dir, 'header-check');
  if (scryptDec(path.join(outer, 'backup-header.hmac'), hmacPlain, `backup-header!${manifest.passphrase}`).status !== 0) fail('backup-header.hmac does not decrypt');
  if (fs.readFileSync(hmacPlain, 'latin1') !== header) fail('backup-header.hmac does not hold the header');
  if (scryptDec(path.join(outer, 'backup-header.hmac'), hmacPlain, `backup-header!${manifest.passphrase}x`).status === 0) fail('a wrong passphrase decrypted the header');

  const decompress = manifest.compressed ? `${q(manifest.compression_filter)} -d` : 'cat';
  for (const a of manifest.archives) {
    const parts = [];
    for (const c of a.chunks) {
      const name = c.slice(0, -'.enc'.length);
      const out = path.join(plain, name);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const r = scryptDec(path.join(outer, c), out, `${manifest.backup_id}!${name}!${manifest.passphrase}`);
      if (r.status !== 0) fail(`${c}: scrypt dec: ${r.stderr.trim()}`);
      parts.push(out);
    }
    const size = parts.reduce((s, p) => s + fs.statSync(p).size, 0);
    if (size !== a.stream_size) fail(`${a.stored_name}: chunks hold ${size} bytes, expected ${a.stream_size}`);
    const innerTar = path.join(dir, 'inner.tar');
    sh(`cat ${parts.map(q).join(' ')} | ${decompress} > ${q(innerTar)}`);
    checkDialect(innerTar, a);
    run('tar', ['-x', '-f', innerTar, '-C', restored]);
    fs.rmSync(innerTar);
  }

  const qx = path.join(restored, 'qubes.xml');
  if (!fs.existsSync(qx) || sha256File(qx) !== manifest.qubes_xml.sha256) fail('qubes.xml differs');

  // Map the backup's vmN/ names to the CLI's <vm name>/ layout and compare everything.
  const got = new Map();
  const prefixToVm = new Map(manifest.vms.filter((v) => v.included && v.class !== 'AdminVM').map((v) => [v.backup_path, v.name]));
  for (const rel of walk(restored).filter((x) => x !== '' && x !== 'qubes.xml')) {
    let mapped = rel;
    const top = rel.split('/')[0];
    if (prefixToVm.has(`${top}/`)) mapped = [prefixToVm.get(`${top}/`), ...rel.split('/').slice(1)].join('/');
    else if (top !== 'dom0-home') fail(`unexpected restored path ${rel}`);
    if (mapped.split('/').length === 1 && top !== 'dom0-home') continue; // the vmN/ directory itself
    if (mapped === 'dom0-home') continue;
    got.set(mapped, path.join(restored, rel));
  }
  const want = new Map(manifest.files.map((f) => [f.path, f]));
  for (const p of got.keys()) if (!want.has(p)) fail(`restore produced ${p}, not in the manifest`);
  for (const [p, f] of want) {
    const local = got.get(p);
    if (!local) fail(`${p} missing after restore`);
    const d = f.image ? describeImage(local, p) : describe(local, p);
    for (const k of ['type', 'size', 'sha256', 'target']) {
      if (d[k] !== f[k]) fail(`${p}: ${k} is ${d[k]}, manifest says ${f[k]}`);
    }
    if (f.image) {
      const offset = f.image.partition?.offset_bytes;
      const contents = listExt4(local, dir, offset);
      if (!isDeepStrictEqual(contents, f.image.contents)) fail(`${p}: filesystem contents differ after restore`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function sumPadding(members) {
  // Each member archive: pax x header (512 + 512 records) + ustar header + data + 2 zero blocks,
  // rounded up to 10240. Only multi-record members exceed 10240.
  let extra = 0;
  for (const m of members) {
    const raw = 512 * 3 + Math.ceil(m.size / 512) * 512 + 1024;
    extra += Math.ceil(raw / 10240) * 10240 - 10240;
  }
  return extra;
}

/** The first header of the inner tar must be the dialect the manifest claims. */
function checkDialect(file, a) {
  const fd = fs.openSync(file, 'r');
  const h = Buffer.alloc(512);
  fs.readSync(fd, h, 0, 512, 0);
  fs.closeSync(fd);
  const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  const type = String.fromCharCode(h[156]);
  const magic = h.subarray(257, 265).toString('latin1');
  const ok = {
    'pax-gnu-sparse-1.0': name === '././@PaxHeader' && type === 'x' && magic === 'ustar\x0000',
    'gnu-old-sparse': type === 'S' && magic === 'ustar  \0',
    gnu: type !== 'S' && magic === 'ustar  \0',
  }[a.inner_tar];
  if (!ok) fail(`${a.stored_name}: inner tar starts with ${JSON.stringify(name)} type ${type}, not ${a.inner_tar}`);
}
