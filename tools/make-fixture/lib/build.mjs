// Turns a case (cases.mjs) into backup.bin + manifest.json: build the sources, write the backup
// with the real tools, restore it by hand, compare, then publish.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, checkTreeAgainstListing, listExt4, makeExt4, writeTree } from './ext4.mjs';
import { makeGptDisk } from './gpt.mjs';
import { describe, describeImage, walk } from './inner.mjs';
import { run } from './proc.mjs';
import { qubesXml } from './qubes-xml.mjs';
import { headerV4, writeV4 } from './v4.mjs';
import { verifyV4 } from './verify.mjs';
import { uuidFrom } from '../cases.mjs';

export const MAX_BACKUP_BYTES = 1_000_000;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function buildImage(spec, file, work) {
  const owner = spec.owner ?? (() => [0, 0]);
  const common = {
    image: file, work, tree: spec.tree, deleted: spec.deleted ?? [], uuid: spec.uuid,
    hashSeed: uuidFrom(`${spec.uuid}/hash`), label: spec.label, mtime: spec.mtime, owner, indexDirs: spec.indexDirs,
  };
  let offset;
  const info = { filesystem: 'ext4', block_size: BLOCK_SIZE, uuid: spec.uuid, label: spec.label };
  if (spec.layout === 'gpt') {
    const parts = makeGptDisk({ image: file, sizeBytes: spec.sizeBytes, diskGuid: spec.diskGuid, partitions: spec.partitions });
    const p = parts[spec.fsPartition - 1];
    offset = p.start * 512;
    makeExt4({ ...common, offset, fsBytes: p.size * 512 });
    info.partition_table = 'gpt';
    info.disk_guid = spec.diskGuid;
    info.partitions = parts.map((x) => ({ ...x, offset_bytes: x.start * 512, size_bytes: x.size * 512 }));
    info.partition = { number: p.number, offset_bytes: offset, size_bytes: p.size * 512 };
  } else {
    makeExt4({ ...common, sizeBytes: spec.sizeBytes });
    info.partition_table = 'none';
    info.partition = null;
  }
  if (spec.tail) {
    // Only into a block the filesystem does not use, so the filesystem stays intact.
    const last = Math.floor(spec.sizeBytes / BLOCK_SIZE) - 1;
    const t = run('debugfs', ['-R', `testb ${last}`, file]).stdout.toString();
    if (!/not in use/.test(t)) throw new Error(`${file}: last block ${last} is in use: ${t}`);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, spec.tail, 0, spec.tail.length, spec.sizeBytes - spec.tail.length);
    fs.closeSync(fd);
  }
  info.contents = listExt4(file, work, offset);
  checkTreeAgainstListing(file, spec.tree, owner, spec.mtime, info.contents);
  const listed = new Set(info.contents.map((c) => c.path));
  info.deleted = (spec.deleted ?? []).map((d) => {
    if (listed.has(d.path)) throw new Error(`${file}: deleted ${d.path} is still listed`);
    return { path: d.path, size: d.data.length, sha256: sha256(d.data) };
  });
  if (info.deleted.length) {
    // debugfs rm frees the blocks without wiping them: say whether the bytes are still there.
    const whole = fs.readFileSync(file);
    for (const [i, d] of (spec.deleted ?? []).entries()) info.deleted[i].data_still_in_image = whole.includes(d.data);
  }
  if (spec.indexDirs && !info.contents.some((c) => c.htree)) throw new Error(`${file}: no directory got an htree index`);
  return info;
}

/** Parse key=value lines (the header is already checked to be ours). */
const headerFields = (text) => Object.fromEntries(text.trim().split('\n').map((l) => l.split('=')));

export function buildCase(def, outDir, opts) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `make-fixture-${def.name}-`));
  try {
    return buildIn(def, outDir, opts, work);
  } finally {
    if (!opts.keepWork) fs.rmSync(work, { recursive: true, force: true });
    else process.stderr.write(`work dir kept: ${work}\n`);
  }
}

function buildIn(def, outDir, opts, work) {
  const src = path.join(work, 'src');
  const files = [];
  const items = [];
  const vmsById = [...def.qubes].sort((a, b) => a.qid - b.qid);
  const backupVms = vmsById.filter((v) => v.files);
  let pid = Number(def.backupId.split('-')[1]);

  for (const vm of backupVms) {
    const dir = path.join(src, vm.name);
    fs.mkdirSync(dir, { recursive: true });
    vm.included = true;
    vm.backupPath = `vm${vm.qid}/`;
    vm.backupSize = 0;
    for (const f of vm.files) {
      const file = path.join(dir, f.name);
      let entry;
      if (f.image) {
        const image = buildImage(f.image, file, work);
        fs.chmodSync(file, 0o644);
        fs.utimesSync(file, def.mtime, def.mtime);
        entry = { ...describeImage(file, `${vm.name}/${f.name}`), image };
      } else {
        fs.writeFileSync(file, f.data, { mode: 0o644 });
        fs.chmodSync(file, 0o644);
        fs.utimesSync(file, def.mtime, def.mtime);
        entry = describe(file, `${vm.name}/${f.name}`);
      }
      files.push(entry);
      vm.backupSize += fs.statSync(file).size;
      items.push({
        dir, base: f.name, subdir: vm.backupPath, dereference: true, vm: vm.name,
        sparseDialect: f.image && def.sparse === 'pax' ? 'pax' : undefined, restores: [entry.path],
      });
    }
  }

  // dom0's home goes last, archived without --dereference (symlinks stay symlinks).
  const dom0 = def.qubes.find((v) => v.klass === 'AdminVM');
  const dom0Dir = path.join(src, 'dom0');
  writeTree(dom0Dir, def.dom0.tree, { mtime: def.mtime, owner: () => [0, 0] });
  const dom0Entries = walk(dom0Dir, def.dom0.user).map((rel) => describe(path.join(dom0Dir, rel), `dom0-home/${rel}`));
  files.push(...dom0Entries);
  Object.assign(dom0, {
    included: true,
    backupPath: `dom0-home/${def.dom0.user}`,
    backupSize: dom0Entries.reduce((s, e) => s + (e.type === 'file' ? e.size : 0), 0),
  });

  for (const vm of def.qubes) vm.included ??= false;
  const xml = qubesXml({ vms: def.qubes, globals: def.globals, pool: def.pool, kernel: def.globals.default_kernel });
  const xmlDir = path.join(src, 'qubes-xml');
  fs.mkdirSync(xmlDir);
  fs.writeFileSync(path.join(xmlDir, 'qubes.xml'), xml);
  fs.utimesSync(path.join(xmlDir, 'qubes.xml'), def.mtime, def.mtime);

  const allItems = [
    { dir: xmlDir, base: 'qubes.xml', subdir: '', dereference: true, vm: null, restores: ['qubes.xml'] },
    ...items,
    { dir: dom0Dir, base: def.dom0.user, subdir: 'dom0-home/', dereference: false, vm: 'dom0', restores: dom0Entries.map((e) => e.path) },
  ];
  // tarwriter runs as a new process for every volume, so every placeholder gets its own pid.
  for (const it of allItems) it.pid = pid++;

  const filter = def.compression ?? undefined;
  const header = headerV4({ compressed: Boolean(def.compression), filter: def.compression ?? 'gzip', backupId: def.backupId });
  const backup = path.join(work, 'backup.bin');
  const written = writeV4({
    backup, work, header, passphrase: def.passphrase, backupId: def.backupId, filter,
    chunkSize: def.chunkSize, kdf: def.kdf, items: allItems,
  });

  const vmsOut = vmsById.map((v) => {
    const o = { name: v.name, class: v.klass, qid: v.qid, label: v.label };
    if (v.template) o.template = v.template;
    if (v.netvm !== undefined) o.netvm = v.netvm;
    o.included = v.included;
    if (v.included) Object.assign(o, { backup_path: v.backupPath, backup_size: v.backupSize });
    return o;
  });
  const backupBytes = fs.readFileSync(backup);
  const manifest = {
    schema: 'qubes-backup-tools/fixture-manifest@1',
    case: def.name,
    description: def.description,
    exercises: def.exercises,
    format_version: 4,
    passphrase: def.passphrase,
    header,
    header_fields: headerFields(header),
    backup_id: def.backupId,
    encrypted: true,
    compressed: Boolean(def.compression),
    compression_filter: def.compression ?? 'gzip',
    hmac_algorithm: 'scrypt',
    chunk_size: def.chunkSize,
    sparse_tar: def.sparse === 'pax' ? 'pax-gnu-sparse-1.0' : 'gnu-old-sparse',
    scrypt: def.kdf,
    backup_file: 'backup.bin',
    backup_size: backupBytes.length,
    backup_sha256: sha256(backupBytes),
    outer_members: written.outer_members,
    archives: written.archives.map((a) => ({
      ...a,
      inner_tar: a.inner_tar === 'gnu' && def.sparse === 'gnu' && files.find((f) => f.path === a.restores[0])?.image ? 'gnu-old-sparse' : a.inner_tar,
    })),
    qubes_xml: { size: Buffer.byteLength(xml), sha256: sha256(Buffer.from(xml)) },
    vms: vmsOut,
    files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    generator: { command: `node tools/make-fixture/make-fixture.mjs --case ${def.name} --out test-fixtures/${def.name}` },
  };

  verifyV4(manifest, backup, work);
  if (backupBytes.length >= MAX_BACKUP_BYTES) throw new Error(`${def.name}: backup is ${backupBytes.length} bytes, limit ${MAX_BACKUP_BYTES}`);

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(backup, path.join(outDir, 'backup.bin'));
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
