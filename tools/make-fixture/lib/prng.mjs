// A small seeded PRNG so image contents are the same bit for bit on every run (Math.random is not
// seedable). sfc32 is fast, has no bad seeds for our use, and fits in 32-bit integer arithmetic.

const WORDS = (
  'qubes backup restore template private volume image sparse chunk scrypt salt tar header ' +
  'archive domain label firewall netvm standalone dispvm vault work personal untrusted ' +
  'the a of and to in is it that for on with as was by at from this be or are an ' +
  'document letter invoice photo recipe holiday meeting project report draft notes'
).split(' ');

export class Prng {
  constructor(seed) {
    // Spread the seed string over four state words with FNV-1a, then warm up.
    let h = 0x811c9dc5;
    const s = [];
    for (let k = 0; k < 4; k++) {
      for (const ch of `${seed}#${k}`) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
      s.push(h);
    }
    [this.a, this.b, this.c, this.d] = s;
    for (let i = 0; i < 16; i++) this.next();
  }

  next() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  int(n) {
    return this.next() % n;
  }

  bytes(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** Word salad of exactly n bytes, lines of about 72 characters. */
  text(n) {
    let s = '';
    let line = 0;
    while (s.length < n) {
      const w = WORDS[this.int(WORDS.length)];
      if (line + w.length + 1 > 72) {
        s += '\n';
        line = 0;
      } else if (line > 0) {
        s += ' ';
        line++;
      }
      s += w;
      line += w.length;
    }
    return Buffer.from(s.slice(0, n - 1) + '\n');
  }
}
