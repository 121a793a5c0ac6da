// Byte-level tar surgery for the adversarial corpus: find where each outer member lies, and write
// tar entries GNU tar would refuse to write (`../x`, absolute names, hostile sparse maps).
// Plain Node, no dependencies: the test imports this at run time.

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

const pad = (n) => (BLOCK - (n % BLOCK)) % BLOCK;

function octal(n, width) {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function field(block, offset, width, text) {
  const bytes = typeof text === 'string' ? enc.encode(text) : text;
  if (bytes.length > width) throw new Error(`tar field too long: ${text}`);
  block.set(bytes, offset);
}

/** Recomputes the header checksum in place (after an edit or before writing). */
export function fixChecksum(block) {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', pax: 'x' };

/** One ustar header block. */
export function ustarHeader({ name, size = 0, type = 'file', typeflag, mode, linkname = '', mtime = 1718187300, devmajor = 0, devminor = 0 }) {
  const b = new Uint8Array(BLOCK);
  const nameBytes = enc.encode(name);
  if (nameBytes.length > 100) throw new Error(`name too long for ustar: ${name}`);
  field(b, 0, 100, nameBytes);
  field(b, 100, 8, octal(mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), 8));
  field(b, 108, 8, octal(0, 8));
  field(b, 116, 8, octal(0, 8));
  field(b, 124, 12, octal(size, 12));
  field(b, 136, 12, octal(mtime, 12));
  field(b, 156, 1, typeflag ?? TYPEFLAG[type]);
  field(b, 157, 100, linkname);
  field(b, 257, 8, 'ustar\x0000');
  field(b, 265, 32, 'root');
  field(b, 297, 32, 'root');
  field(b, 329, 8, octal(devmajor, 8));
  field(b, 337, 8, octal(devminor, 8));
  fixChecksum(b);
  return b;
}

/** PAX records `len key=value\n`, each length counting itself. */
export function paxRecords(records) {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len++;
    out += `${len}${body}`;
  }
  return enc.encode(out);
}

function withPadding(parts) {
  const out = [];
  for (const p of parts) {
    out.push(p);
    if (pad(p.length)) out.push(new Uint8Array(pad(p.length)));
  }
  return out;
}

/**
 * A tar archive of `entries`: { name, type, data?, linkname?, mode?, devmajor?, devminor?, pax?,
 * size? (header size when it differs from data, e.g. sparse), typeflag? }. Ends with two zero blocks.
 */
export function writeTar(entries) {
  const parts = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    if (e.pax) {
      const rec = paxRecords(e.pax);
      parts.push(ustarHeader({ name: `PaxHeaders/${e.name.slice(0, 80)}`, type: 'pax', size: rec.length }), rec);
    }
    parts.push(ustarHeader({ ...e, size: e.size ?? data.length }));
    if (data.length) parts.push(data);
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return concat(withPadding(parts));
}

export function concat(parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function readOctal(block, offset, width) {
  const s = dec.decode(block.subarray(offset, offset + width)).replace(/[\0 ]+$/g, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/**
 * The members of an outer archive (appended tar archives: zero blocks between members are skipped,
 * as `tar -i` does). Each: name; `start` (first byte of its extended headers, or its header);
 * `header` (its ustar header); `data`; `size`; `end` (after its data padding); `next` (where the
 * next member's first header starts, or the file's end: the slice [start, next) moves as a unit).
 */
export function parseOuter(buf) {
  const members = [];
  let off = 0;
  let start;
  while (off + BLOCK <= buf.length) {
    const block = buf.subarray(off, off + BLOCK);
    if (block.every((b) => b === 0)) { off += BLOCK; continue; }
    const type = String.fromCharCode(block[156]);
    const size = readOctal(block, 124, 12);
    if (type === 'x' || type === 'g') {
      start ??= off;
      off += BLOCK + size + pad(size);
      continue;
    }
    const name = dec.decode(block.subarray(0, 100)).replace(/\0.*$/s, '');
    const data = off + BLOCK;
    members.push({ name, start: start ?? off, header: off, data, size, end: data + size + pad(size) });
    start = undefined;
    off = data + size + pad(size);
  }
  for (let i = 0; i < members.length; i++) members[i].next = members[i + 1]?.start ?? buf.length;
  return members;
}

/** The member called `name` (throws when absent: a recipe naming a member that is not there is a bug). */
export function memberOf(members, name) {
  const m = members.find((x) => x.name === name);
  if (!m) throw new Error(`no outer member '${name}' (have: ${members.map((x) => x.name).join(', ')})`);
  return m;
}

/** One outer member as GNU tar appends it: its header, data, padding (no end-of-archive blocks). */
export function outerMember(name, data) {
  return concat(withPadding([ustarHeader({ name, size: data.length }), data]));
}

/** A copy of `buf` with member `name` renamed in place (header name and checksum). */
export function renameMember(buf, name, newName) {
  const m = memberOf(parseOuter(buf), name);
  const out = Uint8Array.from(buf);
  const h = out.subarray(m.header, m.header + BLOCK);
  h.fill(0, 0, 100);
  field(h, 0, 100, newName);
  fixChecksum(h);
  return out;
}

/** A copy of `buf` with each named member's data replaced (a fresh ustar header; extended headers dropped). */
export function replaceMembers(buf, replacements) {
  const members = parseOuter(buf);
  const parts = [];
  let off = 0;
  for (const m of members) {
    const repl = replacements[m.name];
    if (repl === undefined) continue;
    parts.push(buf.subarray(off, m.start), outerMember(m.name, repl));
    off = m.end;
  }
  parts.push(buf.subarray(off));
  return concat(parts);
}

/** Reassembles `buf` from member slices [start, next) in the given order (names may repeat or be left out). */
export function reorderMembers(buf, names) {
  const members = parseOuter(buf);
  const head = buf.subarray(0, members[0]?.start ?? buf.length);
  return concat([head, ...names.map((n) => { const m = memberOf(members, n); return buf.subarray(m.start, m.next); })]);
}

/** A copy of `buf` with member slices of `insert` ({after, bytes}) spliced in after member `after`. */
export function insertAfter(buf, after, bytes) {
  const m = memberOf(parseOuter(buf), after);
  return concat([buf.subarray(0, m.next), bytes, buf.subarray(m.next)]);
}
