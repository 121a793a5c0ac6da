// The bench needs member offsets and the scrypt cost of a backup without trusting the code it measures,
// so it walks the outer tar itself (Qubes backups are concatenated tar archives: skip zero blocks like `tar -i`).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

function readAt(fd, pos, len) {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

function cstr(b, off, len) {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
}

function octal(b, off, len) {
  if (b[off] & 0x80) {
    let v = 0n;
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(b[off + i]);
    return Number(v);
  }
  const s = cstr(b, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function parsePax(buf) {
  const out = {};
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(buf.subarray(i, sp).toString(), 10);
    if (!len) break;
    const rec = buf.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

const isZero = (b) => { for (const x of b) if (x !== 0) return false; return true; };

/**
 * Members of an outer backup tar: name, data size, `start` (first header byte, PAX header included),
 * `dataOffset`, `dataEnd`, `spanEnd` (where the next member starts: includes end blocks and record padding).
 */
export function listMembers(path) {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const members = [];
  let pos = 0;
  let start = null;
  let pax = {};
  let longName = null;
  try {
    while (pos + 512 <= size) {
      const h = readAt(fd, pos, 512);
      if (isZero(h)) { pos += 512; continue; }
      if (start === null) start = pos;
      const type = h[156] ? String.fromCharCode(h[156]) : '0';
      const hsize = octal(h, 124, 12);
      const dataOffset = pos + 512;
      const padded = Math.ceil(hsize / 512) * 512;
      if (type === 'x' || type === 'g') {
        if (type === 'x') pax = parsePax(readAt(fd, dataOffset, hsize));
        pos = dataOffset + padded;
        continue;
      }
      if (type === 'L') {
        longName = cstr(readAt(fd, dataOffset, hsize), 0, hsize);
        pos = dataOffset + padded;
        continue;
      }
      const prefix = cstr(h, 345, 155);
      const short = cstr(h, 0, 100);
      const name = (pax.path ?? longName ?? (prefix ? `${prefix}/${short}` : short)).replace(/^\.\//, '');
      const msize = pax.size !== undefined ? Number(pax.size) : hsize;
      members.push({ name, type, size: msize, start, dataOffset, dataEnd: dataOffset + msize });
      pos = dataOffset + Math.ceil(msize / 512) * 512;
      start = null;
      pax = {};
      longName = null;
    }
  } finally {
    closeSync(fd);
  }
  members.forEach((m, i) => { m.spanEnd = i + 1 < members.length ? members[i + 1].start : size; });
  return { size, members };
}

/** scrypt container header (`scrypt` magic, version 0, logN, r, p) at a member's data offset. */
export function scryptParamsAt(path, dataOffset) {
  const fd = openSync(path, 'r');
  try {
    const b = readAt(fd, dataOffset, 16);
    if (b.length < 16 || b.subarray(0, 6).toString('latin1') !== 'scrypt' || b[6] !== 0) return null;
    return { logN: b[7], r: b.readUInt32BE(8), p: b.readUInt32BE(12) };
  } finally {
    closeSync(fd);
  }
}

/** scrypt's own working memory for one derivation, as the brief defines it: 128·N·r·p bytes. */
export const scryptBytes = ({ logN, r, p }) => 128 * 2 ** logN * r * p;

/** Inner archive name of a stored chunk: `vm5/private.img.001.enc` → `vm5/private.img`. */
export const archiveOf = (name) => name.replace(/\.enc$/, '').replace(/\.\d{3}$/, '');
