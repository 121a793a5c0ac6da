// Our own writer for the tar dialect that Qubes' `qubes/tarwriter.py` produces for block-device
// volumes (LVM thin, the R4 default): one PAX member with GNU sparse format 1.0. GNU tar has no
// option to write this, so we build the bytes here, following Python tarfile's header layout
// (what tarwriter relies on): an `x` header named ././@PaxHeader, then a ustar header with the
// placeholder name <dir>/GNUSparseFile.<pid>/<base>, mode 0644, uid/gid 0, empty uname/gname,
// mtime 0; the member data is the sparse map as text, NUL-padded to 512, followed by the data
// runs; then two zero blocks and no padding to a 10240-byte record.
import fs from 'node:fs';
import path from 'node:path';

const BLOCK = 512;
const READ_SIZE = 409600;

/** Numeric field as Python tarfile's itn() writes it for ustar: zero-padded octal + NUL. */
function octal(n, width) {
  const s = n.toString(8);
  if (s.length > width - 1) throw new RangeError(`${n} does not fit a ${width}-byte tar field`);
  return s.padStart(width - 1, '0') + '\0';
}

function ustarHeader({ name, mode, size, mtime, type }) {
  const b = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new RangeError(`tar name too long: ${name}`);
  nameBytes.copy(b, 0);
  b.write(octal(mode, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii'); // uid
  b.write(octal(0, 8), 116, 'ascii'); // gid
  b.write(octal(size, 12), 124, 'ascii');
  b.write(octal(mtime, 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(type, 156, 'ascii');
  // linkname (157..256) empty; magic "ustar\0" + version "00"
  b.write('ustar\x0000', 257, 'latin1');
  // uname, gname, devmajor, devminor, prefix: all NUL (Python >= 3.9 leaves dev fields empty
  // for non-device members).
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0', 148, 'ascii'); // byte 155 stays ' '
  return b;
}

/** One pax record "<len> key=value\n", where <len> counts itself. */
function paxRecord(key, value) {
  const body = Buffer.byteLength(key) + Buffer.byteLength(value) + 3;
  let p = 0;
  for (;;) {
    const n = body + String(p).length;
    if (n === p) break;
    p = n;
  }
  return `${p} ${key}=${value}\n`;
}

const padTo = (n, unit) => (n % unit === 0 ? 0 : unit - (n % unit));

/**
 * Data runs at 512-byte granularity: a 512-byte all-zero block is a hole. The map always ends
 * with a run reaching the end of the file (zero-length when the file ends in a hole), otherwise
 * extraction would truncate the file.
 */
export function sparseMap(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(READ_SIZE);
  const map = [];
  let inData = false;
  let start = 0;
  let pos = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_SIZE, pos);
      if (n === 0) break;
      for (let off = 0; off < n; off += BLOCK) {
        const end = Math.min(off + BLOCK, n);
        let zero = end - off === BLOCK;
        for (let i = off; zero && i < end; i++) if (buf[i] !== 0) zero = false;
        if (zero && inData) {
          map.push([start, pos + off - start]);
          inData = false;
        } else if (!zero && !inData) {
          inData = true;
          start = pos + off;
        }
      }
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  map.push(inData ? [start, pos - start] : [pos, 0]);
  return map;
}

/**
 * Write `image` as a PAX GNU.sparse 1.0 archive to `out`, stored under `memberName`
 * (e.g. `vm5/private.img`). `pid` goes into the placeholder name, as tarwriter uses its own pid.
 * Returns { map, realsize, placeholder }.
 */
export function writePaxSparseTar(image, memberName, out, pid) {
  const map = sparseMap(image);
  const realsize = map.at(-1)[0] + map.at(-1)[1];
  let mapText = `${map.length}\n` + map.map(([o, l]) => `${o}\n${l}\n`).join('');
  mapText += '\0'.repeat(padTo(mapText.length, BLOCK));
  const dataBytes = map.reduce((s, [, l]) => s + l, 0);
  const size = dataBytes + mapText.length;

  const records = [
    paxRecord('GNU.sparse.major', '1'),
    paxRecord('GNU.sparse.minor', '0'),
    paxRecord('GNU.sparse.name', memberName),
    paxRecord('GNU.sparse.realsize', String(realsize)),
  ];
  let sizeField = size;
  if (size >= 8 ** 11) {
    // Python tarfile moves a size that does not fit 11 octal digits into a pax record.
    records.push(paxRecord('size', String(size)));
    sizeField = 0;
  }
  const paxData = Buffer.from(records.join(''), 'utf8');
  const placeholder = `${path.posix.dirname(memberName)}/GNUSparseFile.${pid}/${path.posix.basename(memberName)}`;

  const fdOut = fs.openSync(out, 'w');
  const fdIn = fs.openSync(image, 'r');
  try {
    fs.writeSync(fdOut, ustarHeader({ name: '././@PaxHeader', mode: 0, size: paxData.length, mtime: 0, type: 'x' }));
    fs.writeSync(fdOut, Buffer.concat([paxData, Buffer.alloc(padTo(paxData.length, BLOCK))]));
    fs.writeSync(fdOut, ustarHeader({ name: placeholder, mode: 0o644, size: sizeField, mtime: 0, type: '0' }));
    fs.writeSync(fdOut, Buffer.from(mapText, 'latin1'));
    const buf = Buffer.alloc(READ_SIZE);
    for (const [offset, length] of map) {
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fdIn, buf, 0, Math.min(READ_SIZE, length - done), offset + done);
        if (n === 0) throw new Error(`${image}: premature EOF`);
        fs.writeSync(fdOut, buf, 0, n);
        done += n;
      }
    }
    // tarwriter writes no padding after the data; runs are whole 512-byte blocks unless the
    // file size is not a multiple of 512, where a reader would otherwise lose sync.
    fs.writeSync(fdOut, Buffer.alloc(padTo(dataBytes, BLOCK) + 2 * BLOCK));
  } finally {
    fs.closeSync(fdIn);
    fs.closeSync(fdOut);
  }
  return { map, realsize, placeholder };
}
