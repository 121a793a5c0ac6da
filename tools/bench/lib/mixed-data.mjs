// Seeded data that restores exercise realistically: incompressible bytes, text like logs and prose, and a
// VM-disk-like image of holes, random, repeated and text regions. Shared by the bench's own generators
// (make-borg-repo.mjs, make-wyng-archive.mjs); the same seed and arguments give the same bytes.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

const MiB = 2 ** 20;
const KiB = 1024;

/** Incompressible bytes: AES-256-CTR keystream keyed by seed and label (fast, and the same every run). */
export function randomStream(seed, label) {
  const key = createHash('sha256').update(`${seed}/${label}`).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  return (n) => {
    const out = [];
    for (let left = n; left > 0; left -= MiB) out.push(c.update(zeros.subarray(0, Math.min(MiB, left))));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  };
}

/**
 * Text-like bytes: log lines and prose from a vocabulary of pseudo-words drawn with a skewed (Zipf-like)
 * frequency, numbers and timestamps, so lz4 finds matches about as often as in real logs and documents.
 */
export class TextSource {
  constructor(prng) {
    this.prng = prng;
    const letters = 'etaoinshrdlcumwfgypbvkjxqz';
    this.vocab = [];
    for (let i = 0; i < 3000; i++) {
      const len = 2 + prng.int(6) + prng.int(5);
      let w = '';
      for (let k = 0; k < len; k++) w += letters[Math.min(25, Math.floor((prng.next() / 2 ** 32) ** 2 * 26))];
      this.vocab.push(Buffer.from(w));
    }
    this.levels = ['INFO', 'DEBUG', 'WARN', 'ERROR', 'NOTICE'].map((s) => Buffer.from(` ${s} `));
  }

  word() {
    const u = this.prng.next() / 2 ** 32;
    return this.vocab[Math.floor(u * u * u * this.vocab.length)];
  }

  /** Exactly n bytes. */
  bytes(n) {
    const p = this.prng;
    const buf = Buffer.allocUnsafe(n + 256);
    let o = 0;
    const put = (b) => { for (let i = 0; i < b.length; i++) buf[o++] = b[i]; };
    const digits = (v, w) => { for (let i = w - 1; i >= 0; i--) { buf[o + i] = 48 + (v % 10); v = Math.floor(v / 10); } o += w; };
    while (o < n) {
      if (p.int(2)) { // a log line: 2024-01-03 12:34:56.789 LEVEL words key=number
        buf[o++] = 50; buf[o++] = 48; buf[o++] = 50; buf[o++] = 52; buf[o++] = 45;
        digits(1 + p.int(12), 2); buf[o++] = 45; digits(1 + p.int(28), 2); buf[o++] = 32;
        digits(p.int(24), 2); buf[o++] = 58; digits(p.int(60), 2); buf[o++] = 58; digits(p.int(60), 2);
        buf[o++] = 46; digits(p.int(1000), 3);
        put(this.levels[p.int(8) % 5]);
      }
      const words = 4 + p.int(11);
      for (let k = 0; k < words; k++) {
        if (k) buf[o++] = 32;
        put(this.word());
        if (p.int(6) === 0) { buf[o++] = 61; digits(p.int(100000), 1 + p.int(5)); }
      }
      buf[o++] = p.int(9) ? 10 : 46;
      if (buf[o - 1] === 46) buf[o++] = 10;
    }
    return buf.subarray(0, n);
  }
}

/** Writes `size` bytes of one kind to fd at `pos` in pieces of at most 4 MiB, feeding the hash. */
export function fill(fd, hash, pos, size, kind, ctx) {
  const { text, seed, label, prng } = ctx;
  if (kind === 'random') {
    const rnd = randomStream(seed, label);
    for (let d = 0; d < size; d += 4 * MiB) { const b = rnd(Math.min(4 * MiB, size - d)); writeSync(fd, b, 0, b.length, pos + d); hash.update(b); }
  } else if (kind === 'text') {
    for (let d = 0; d < size; d += 4 * MiB) { const b = text.bytes(Math.min(4 * MiB, size - d)); writeSync(fd, b, 0, b.length, pos + d); hash.update(b); }
  } else if (kind === 'mixed') { // like a binary with strings: 4-64 KiB runs of each
    for (let d = 0; d < size;) {
      const n = Math.min(size - d, (4 + prng.int(61)) * KiB);
      const b = prng.int(2) ? text.bytes(n) : randomStream(seed, `${label}@${d}`)(n);
      writeSync(fd, b, 0, b.length, pos + d); hash.update(b); d += n;
    }
  } else if (kind === 'pattern') { // a short record repeated: tables, padding, fill bytes
    const unit = Buffer.concat([randomStream(seed, label)(16 + prng.int(500)), Buffer.alloc(prng.int(3000))]);
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < MiB; i += unit.length) unit.copy(block, i);
    for (let d = 0; d < size; d += MiB) { const b = block.subarray(0, Math.min(MiB, size - d)); writeSync(fd, b, 0, b.length, pos + d); hash.update(b); }
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
}

export function buildImage(path, { size: wanted, seed }, prng, text) {
  const size = Math.max(MiB, Math.round(wanted));
  const fd = openSync(path, 'w+', 0o600);
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(MiB);
  const copies = []; // [pos, len] of random regions, to be written again elsewhere
  const regions = [];
  const unit = Math.max(64 * KiB, Math.round(size / 512 / 4096) * 4096); // 1 MiB at 512 MiB
  let pos = 0;
  for (let i = 0; pos < size; i++) {
    const len = Math.min(size - pos, (1 + prng.int(16)) * unit);
    const r = prng.int(100);
    const kind = r < 30 ? 'hole' : r < 58 ? 'random' : r < 70 ? 'pattern' : r < 80 && copies.length ? 'copy' : 'text';
    regions.push([kind, len]);
    if (kind === 'hole') {
      for (let d = 0; d < len; d += MiB) hash.update(zeros.subarray(0, Math.min(MiB, len - d)));
    } else if (kind === 'copy') {
      const [from, n] = copies[prng.int(copies.length)];
      const b = Buffer.alloc(Math.min(n, len));
      readSync(fd, b, 0, b.length, from);
      writeSync(fd, b, 0, b.length, pos);
      hash.update(b);
      for (let d = b.length; d < len; d += MiB) hash.update(zeros.subarray(0, Math.min(MiB, len - d)));
    } else {
      fill(fd, hash, pos, len, kind, { text, seed, label: `image/${i}`, prng });
      if (kind === 'random') copies.push([pos, len]);
    }
    pos += len;
  }
  ftruncateSync(fd, size);
  closeSync(fd);
  return { size, sha256: hash.digest('hex'), regions };
}
