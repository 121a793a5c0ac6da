// The format-independent middle of a Qubes backup: one inner archive per stored file (GNU tar or
// the tarwriter PAX dialect, through the compression filter), cut into chunks. The v4 writer
// encrypts each chunk with scrypt; a v3 writer would encrypt the whole stream with openssl and
// HMAC each chunk, reusing these same steps.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { q, run, sh } from './proc.mjs';
import { writePaxSparseTar } from './pax-sparse.mjs';

export const sha256File = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Manifest entry for one restored path (type, size, sha256, symlink target, sparseness). */
export function describe(file, restoredPath) {
  const st = fs.lstatSync(file);
  if (st.isSymbolicLink()) {
    const target = fs.readlinkSync(file);
    return { path: restoredPath, type: 'symlink', size: Buffer.byteLength(target), target };
  }
  if (st.isDirectory()) return { path: restoredPath, type: 'dir', mode: st.mode & 0o7777 };
  const entry = { path: restoredPath, type: 'file', size: st.size, sha256: sha256File(file), mode: st.mode & 0o7777 };
  return entry;
}

/** describe() for a disk image: adds apparent vs allocated size. */
export function describeImage(file, restoredPath) {
  const st = fs.statSync(file);
  return { ...describe(file, restoredPath), sparse: st.blocks * 512 < st.size, allocated_bytes: st.blocks * 512 };
}

/** Walk a directory tree: the directory itself, then everything under it, sorted. */
export function walk(root, rel = '') {
  const out = [rel];
  const full = path.join(root, rel);
  if (fs.lstatSync(full).isDirectory()) {
    for (const name of fs.readdirSync(full).sort()) out.push(...walk(root, rel === '' ? name : `${rel}/${name}`).filter((x) => x !== ''));
  }
  return out;
}

/**
 * Write the inner archive of one file to `stream` and return its dialect.
 * item: { dir, base, subdir, dereference, sparseDialect?: 'pax' }  (subdir like "vm5/" or "")
 * GNU tar: `tar -Pc --sparse -C <dir> [--dereference] [--use-compress-program=F] --xform=s:^<base>:<subdir>\0: <base>`
 * PAX:     our tarwriter equivalent, piped through `F` with no arguments.
 */
export function innerArchive(item, filter, stream, pid) {
  if (item.sparseDialect === 'pax') {
    const raw = filter ? `${stream}.tar` : stream;
    writePaxSparseTar(path.join(item.dir, item.base), `${item.subdir}${item.base}`, raw, pid);
    if (filter) {
      sh(`${q(filter)} < ${q(raw)} > ${q(stream)}`);
      fs.rmSync(raw);
    }
    return 'pax-gnu-sparse-1.0';
  }
  const args = ['-Pc', '--sparse', '-C', item.dir];
  if (item.dereference) args.push('--dereference');
  if (filter) args.push(`--use-compress-program=${filter}`);
  args.push(`--xform=s:^${item.base}:${item.subdir}\\0:`, item.base);
  sh(`tar ${args.map(q).join(' ')} > ${q(stream)}`);
  return 'gnu';
}

/**
 * Cut `stream` into chunkSize pieces named <prefix>.000, .001, ... (split(1)). Like qvm-backup,
 * a stream whose length is an exact multiple of the chunk size gets a final empty chunk.
 * Returns the chunk file paths in order.
 */
export function splitStream(stream, prefix, chunkSize) {
  fs.mkdirSync(path.dirname(prefix), { recursive: true });
  const size = fs.statSync(stream).size;
  const count = Math.floor(size / chunkSize) + 1;
  if (count > 1000) throw new Error(`${stream}: ${count} chunks; split -a 3 stops at 1000`);
  run('split', ['--bytes', String(chunkSize), '--numeric-suffixes=0', '--suffix-length=3', stream, `${path.basename(prefix)}.`], { cwd: path.dirname(prefix) });
  const chunks = [];
  for (let i = 0; i < count; i++) chunks.push(`${prefix}.${String(i).padStart(3, '0')}`);
  const last = chunks.at(-1);
  if (!fs.existsSync(last)) fs.writeFileSync(last, ''); // the empty trailing chunk
  for (const c of chunks) if (!fs.existsSync(c)) throw new Error(`split did not write ${c}`);
  return chunks;
}

/** Append one member to the outer archive the way qvm-backup does: its own `tar -cO --posix`. */
export function appendOuter(backup, stageDir, name) {
  sh(`tar -cO --posix -C ${q(stageDir)} ${q(name)} >> ${q(backup)}`);
}
