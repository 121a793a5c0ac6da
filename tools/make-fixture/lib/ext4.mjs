// ext4 images built with the real e2fsprogs (mkfs.ext4 -d, debugfs), and read back with debugfs
// only (no mount, no root needed for reading) so the manifest says what the filesystem really holds.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { run } from './proc.mjs';

export const BLOCK_SIZE = 4096;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/**
 * A tree entry: { path, type: 'file'|'dir'|'symlink', data?: Buffer, target?: string,
 *   mode?: number, mtime?: number, uid?: number, gid?: number,
 *   sparse?: { size, pieces: [{ offset, data }] } }   (type 'file' with holes)
 * Parent directories are created as needed (mode 0755, the image's mtime).
 */
export function writeTree(root, tree, defaults) {
  fs.mkdirSync(root, { recursive: true });
  const dirs = new Map([['', { mode: 0o755, mtime: defaults.mtime, uid: 0, gid: 0 }]]);
  const ensureDir = (rel) => {
    if (dirs.has(rel)) return;
    ensureDir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    fs.mkdirSync(path.join(root, rel), { recursive: true });
    const own = defaults.owner(rel);
    dirs.set(rel, { mode: 0o755, mtime: defaults.mtime, uid: own[0], gid: own[1] });
  };
  const leaves = [];
  for (const e of tree) {
    const parent = path.posix.dirname(e.path) === '.' ? '' : path.posix.dirname(e.path);
    ensureDir(parent);
    const full = path.join(root, e.path);
    const own = defaults.owner(e.path);
    const meta = { mtime: e.mtime ?? defaults.mtime, uid: e.uid ?? own[0], gid: e.gid ?? own[1] };
    if (e.type === 'dir') {
      ensureDir(e.path);
      Object.assign(dirs.get(e.path), { mode: e.mode ?? 0o755 }, meta);
    } else if (e.type === 'symlink') {
      fs.symlinkSync(e.target, full);
      leaves.push({ ...e, ...meta, mode: 0o777 });
    } else if (e.sparse) {
      const fd = fs.openSync(full, 'w');
      for (const p of e.sparse.pieces) fs.writeSync(fd, p.data, 0, p.data.length, p.offset);
      fs.ftruncateSync(fd, e.sparse.size);
      fs.closeSync(fd);
      leaves.push({ ...e, ...meta, mode: e.mode ?? 0o644 });
    } else {
      fs.writeFileSync(full, e.data);
      leaves.push({ ...e, ...meta, mode: e.mode ?? 0o644 });
    }
  }
  for (const l of leaves) {
    const full = path.join(root, l.path);
    if (l.type !== 'symlink') fs.chmodSync(full, l.mode);
    fs.lutimesSync(full, l.mtime, l.mtime);
  }
  // Deepest directories first: setting a child's times does not touch the parent, but creating does.
  const dirList = [...dirs.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
  for (const [rel, d] of dirList) {
    const full = path.join(root, rel);
    fs.chmodSync(full, d.mode);
    fs.utimesSync(full, d.mtime, d.mtime);
  }
  return { dirs, leaves };
}

/** Quote a path for a debugfs command line (it understands double quotes). */
const dq = (p) => `"/${p}"`;

/**
 * Make an ext4 filesystem from a tree. With `offset`, the filesystem goes into an existing file (a
 * partitioned disk) at that byte offset and is `fsBytes` long; otherwise the image is a new sparse
 * file of `sizeBytes`. `deleted` entries are written and then removed with debugfs `rm`, so their
 * blocks still hold the data (for undelete-style tests) while no directory lists them.
 */
export function makeExt4(opts) {
  const { image, work, tree, deleted = [], uuid, hashSeed, label = '', mtime, indexDirs = false } = opts;
  const owner = opts.owner ?? (() => [0, 0]);
  const src = fs.mkdtempSync(path.join(work, 'ext4src-'));
  const all = [...tree, ...deleted];
  const { dirs, leaves } = writeTree(src, all, { mtime, owner });

  const env = { E2FSPROGS_FAKE_TIME: String(mtime), E2FSCK_TIME: String(mtime) };
  const ext = [`hash_seed=${hashSeed}`, 'lazy_itable_init=1', 'lazy_journal_init=1', 'nodiscard'];
  let blocks = [];
  if (opts.offset !== undefined) {
    ext.push(`offset=${opts.offset}`);
    blocks = [String(Math.floor(opts.fsBytes / BLOCK_SIZE))];
  } else {
    fs.rmSync(image, { force: true });
    fs.closeSync(fs.openSync(image, 'w'));
    fs.truncateSync(image, opts.sizeBytes);
  }
  run('mkfs.ext4', ['-q', '-F', '-b', String(BLOCK_SIZE), '-I', '256', '-U', uuid, '-L', label,
    '-E', ext.join(','), '-d', src, image, ...blocks], { env });

  // mkfs -d copies ctime from the source files (which we cannot set), and owners from the source
  // (root here): fix both so the image is reproducible and looks like a real qube's volume.
  const cmds = [];
  const device = opts.offset !== undefined ? `${image}?offset=${opts.offset}` : image;
  for (const [rel, d] of dirs) {
    const p = rel === '' ? '"/"' : dq(rel);
    cmds.push(`sif ${p} ctime ${d.mtime}`, `sif ${p} uid ${d.uid}`, `sif ${p} gid ${d.gid}`);
  }
  cmds.push(`sif "/lost+found" ctime ${mtime}`);
  for (const l of leaves) {
    cmds.push(`sif ${dq(l.path)} ctime ${l.mtime}`, `sif ${dq(l.path)} uid ${l.uid}`, `sif ${dq(l.path)} gid ${l.gid}`);
  }
  for (const d of deleted) cmds.push(`rm ${dq(d.path)}`);
  const cmdFile = path.join(work, 'debugfs-cmds');
  fs.writeFileSync(cmdFile, cmds.join('\n') + '\n');
  const r = run('debugfs', ['-w', '-f', cmdFile, device], { env });
  const errors = r.stderr.split('\n').filter((l) => l && !l.startsWith('debugfs '));
  if (errors.length) throw new Error(`debugfs on ${image}: ${errors.join('; ')}`);
  if (indexDirs) {
    // Build htree indexes for large directories, as a long-lived filesystem would have.
    const fsck = run('e2fsck', ['-fyD', device], { env, allowFail: true });
    if (fsck.status > 1) throw new Error(`e2fsck -fyD ${image}: ${fsck.stdout}${fsck.stderr}`);
  }
  const check = run('e2fsck', ['-fn', device], { env, allowFail: true });
  if (check.status !== 0) throw new Error(`e2fsck -fn ${image} is not clean: ${check.stdout}`);
  fs.rmSync(src, { recursive: true, force: true });
}

function debugfsLines(device, request) {
  return run('debugfs', ['-R', request, device]).stdout.toString().split('\n');
}

/** `ls -p` lines: /inode/mode/uid/gid/name/size/ (size empty for directories). */
function lsP(device, dir) {
  const out = [];
  for (const line of debugfsLines(device, `ls -p ${dir === '' ? '"/"' : dq(dir)}`)) {
    if (!line.startsWith('/')) continue;
    const f = line.slice(1, -1).split('/');
    const name = f.slice(4, -1).join('/');
    if (name === '.' || name === '..' || f[0] === '0') continue; // ino 0: an unused slot
    out.push({ ino: Number(f[0]), mode: parseInt(f[1], 8), uid: Number(f[2]), gid: Number(f[3]), name, size: f.at(-1) });
  }
  return out;
}

function statAll(device, work, inos) {
  const cmdFile = path.join(work, 'debugfs-stat');
  fs.writeFileSync(cmdFile, inos.map((i) => `stat <${i}>`).join('\n') + '\n');
  const text = run('debugfs', ['-f', cmdFile, device]).stdout.toString();
  const res = new Map();
  for (const part of text.split(/^debugfs: /m).slice(1)) {
    const ino = Number(/^Inode: (\d+)/m.exec(part)?.[1]);
    const mtime = parseInt(/^ *mtime: 0x([0-9a-f]+)/m.exec(part)[1], 16);
    const size = Number(/Size: (\d+)\s*$/m.exec(part)[1]);
    const fast = /^Fast link dest: "(.*)"$/m.exec(part);
    const flags = parseInt(/Flags: 0x([0-9a-f]+)/.exec(part)[1], 16);
    res.set(ino, { mtime, size, flags, fastLink: fast ? fast[1] : undefined });
  }
  return res;
}

/**
 * Everything the filesystem holds: [{ path, type, size, sha256, target, mode, uid, gid, mtime }],
 * sorted by path. Walks with `debugfs ls -p`, reads metadata with `stat`, and contents with `rdump`,
 * and refuses to answer when those disagree.
 */
export function listExt4(image, work, offset) {
  const device = offset ? `${image}?offset=${offset}` : image;
  const found = [];
  const walk = (dir) => {
    for (const e of lsP(device, dir)) {
      const rel = dir === '' ? e.name : `${dir}/${e.name}`;
      found.push({ ...e, path: rel });
      if ((e.mode & 0o170000) === 0o040000) walk(rel);
    }
  };
  walk('');
  const stats = statAll(device, work, found.map((e) => e.ino));
  const dump = fs.mkdtempSync(path.join(work, 'rdump-'));
  const top = found.filter((e) => !e.path.includes('/')).map((e) => dq(e.path));
  run('debugfs', ['-R', `rdump ${top.join(' ')} ${dump}`, device]);

  const contents = found.map((e) => {
    const st = stats.get(e.ino);
    const kind = e.mode & 0o170000;
    const type = kind === 0o040000 ? 'dir' : kind === 0o120000 ? 'symlink' : kind === 0o100000 ? 'file' : 'other';
    const local = path.join(dump, e.path);
    const entry = { path: e.path, type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: st.mtime };
    // EXT4_INDEX_FL: the directory has an htree index (readers must still handle it).
    if (type === 'dir' && st.flags & 0x1000) entry.htree = true;
    if (type === 'file') {
      const data = fs.readFileSync(local);
      if (data.length !== st.size || String(st.size) !== e.size) {
        throw new Error(`${image}: ${e.path}: rdump gave ${data.length} bytes, stat says ${st.size}, ls ${e.size}`);
      }
      Object.assign(entry, { size: st.size, sha256: sha256(data) });
    } else if (type === 'symlink') {
      const target = fs.readlinkSync(local);
      if (st.fastLink !== undefined && st.fastLink !== target) throw new Error(`${image}: ${e.path}: link target mismatch`);
      Object.assign(entry, { size: Buffer.byteLength(target), target });
    }
    return entry;
  });
  fs.rmSync(dump, { recursive: true, force: true });
  return contents.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Check that every entry we asked for is in the listing, with the same bytes and metadata. */
export function checkTreeAgainstListing(image, tree, owner, mtime, contents) {
  const byPath = new Map(contents.map((c) => [c.path, c]));
  for (const e of tree) {
    const c = byPath.get(e.path);
    if (!c) throw new Error(`${image}: ${e.path} missing from the filesystem`);
    if (c.type !== e.type) throw new Error(`${image}: ${e.path} is a ${c.type}, expected ${e.type}`);
    if (e.type === 'symlink' && c.target !== e.target) throw new Error(`${image}: ${e.path} target ${c.target}`);
    if (e.type === 'file') {
      const want = e.sparse ? sparseSha(e.sparse) : sha256(e.data);
      if (c.sha256 !== want) throw new Error(`${image}: ${e.path} content differs`);
    }
    const [uid, gid] = [e.uid ?? owner(e.path)[0], e.gid ?? owner(e.path)[1]];
    if (c.uid !== uid || c.gid !== gid) throw new Error(`${image}: ${e.path} owner ${c.uid}:${c.gid}`);
    if (c.mtime !== (e.mtime ?? mtime)) throw new Error(`${image}: ${e.path} mtime ${c.mtime}`);
  }
}

export function sparseSha(sparse) {
  const buf = Buffer.alloc(sparse.size);
  for (const p of sparse.pieces) p.data.copy(buf, p.offset);
  return sha256(buf);
}
