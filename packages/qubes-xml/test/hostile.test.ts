import { describe, expect, test } from '@jest/globals';
import { MAX_XML_BYTES, parseQubesXml } from '../src/index.js';
import { core3, failure, fixture } from './_helpers.js';

/** A small deterministic PRNG (xorshift32) for garbage input. */
function garbage(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// How fast these refusals are is measured in tools/bench/limits.mjs: tests assert what was done.
describe('size bound', () => {
  test('more than 64 MiB is refused before decoding (bytes and string)', () => {
    expect(MAX_XML_BYTES).toBe(64 * 1024 * 1024);
    // Invalid UTF-8 and not XML: decoding or parsing them first would fail with another message.
    expect(failure(() => parseQubesXml(new Uint8Array(MAX_XML_BYTES + 1).fill(0xff)), 'E_CORRUPT').message)
      .toBe(`qubes.xml: ${MAX_XML_BYTES + 1} bytes, larger than ${MAX_XML_BYTES}, refused`);
    expect(failure(() => parseQubesXml('<'.repeat(MAX_XML_BYTES + 1)), 'E_CORRUPT').message).toBe(`qubes.xml: larger than ${MAX_XML_BYTES} bytes, refused`);
  });

  test('exactly 64 MiB is decoded and parsed (and refused for what it holds, not for its size)', () => {
    expect(failure(() => parseQubesXml(new Uint8Array(MAX_XML_BYTES).fill(0xff)), 'E_CORRUPT').message).toContain('not valid UTF-8');
  });
});

describe('malformed input is CorruptBackupError naming qubes.xml', () => {
  const real = new TextDecoder().decode(fixture('gen-v4.xml'));

  test.each([
    ['empty', ''],
    ['whitespace', '  \n'],
    ['not XML', 'hello world'],
    ['a bare text root', 'qubes'],
    ['unclosed root', '<qubes>'],
    ['mismatched tags', '<qubes><domains></qubes></domains>'],
    ['two roots', '<qubes/><qubes/>'],
    ['attribute without quotes', '<qubes a=b/>'],
    ['repeated attribute', '<qubes a="1" a="2"/>'],
    ['truncated real file', real.slice(0, real.length / 2)],
    ['real file with a byte flipped into a tag', real.replace('<domains>', '<dom@ins>')],
    ['a bare ampersand', '<qubes><labels/><properties><property name="a">a & b</property></properties></qubes>'],
  ])('%s', (_what, xml) => {
    expect(failure(() => parseQubesXml(xml), 'E_CORRUPT').message).toMatch(/^qubes\.xml: /);
  });

  test('random bytes (invalid UTF-8 or not XML), many seeds', () => {
    for (let seed = 1; seed <= 50; seed++) failure(() => parseQubesXml(garbage(64 + seed * 37, seed)), 'E_CORRUPT');
  });

  test('random ASCII (valid UTF-8, not XML)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const ascii = garbage(200, seed).map((b) => 0x20 + (b % 0x5f));
      failure(() => parseQubesXml(ascii), 'E_CORRUPT');
    }
  });

  test('invalid UTF-8 inside an otherwise valid file', () => {
    const bytes = new TextEncoder().encode(core3(''));
    const i = bytes.indexOf(0x3e); // after '<?xml ...?'
    const bad = new Uint8Array([...bytes.subarray(0, i + 1), 0xc3, 0x28, ...bytes.subarray(i + 1)]);
    expect(failure(() => parseQubesXml(bad), 'E_CORRUPT').message).toContain('UTF-8');
  });
});

describe('nesting bound', () => {
  test('deep nesting is refused at the nesting bound (not by running out of stack)', () => {
    const n = 200_000;
    const deep = '<qubes>' + '<a>'.repeat(n) + '</a>'.repeat(n) + '</qubes>';
    // The same refusal as for 33 levels: the parser stopped at its bound, whatever came after.
    expect(failure(() => parseQubesXml(deep), 'E_CORRUPT').message).toBe('qubes.xml: malformed XML: Maximum nested tags exceeded');
  });

  test('33 levels are refused, real depth (6) is fine', () => {
    expect(failure(() => parseQubesXml('<qubes>' + '<a>'.repeat(33) + '</a>'.repeat(33) + '</qubes>'), 'E_CORRUPT').message).toContain('Maximum nested tags exceeded');
    expect(parseQubesXml('<qubes><labels/>' + '<a>'.repeat(10) + '</a>'.repeat(10) + '</qubes>').dialect).toBe('core3');
  });
});

describe('no DTD, no entity expansion', () => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE qubes [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<qubes><labels/><properties><property name="x">&c;</property></properties></qubes>`;

  test('a DOCTYPE (billion laughs) is refused', () => {
    expect(failure(() => parseQubesXml(laughs), 'E_CORRUPT').message).toContain('DOCTYPE');
  });

  test('an external entity is refused', () => {
    failure(() => parseQubesXml('<!DOCTYPE qubes [<!ENTITY x SYSTEM "file:///etc/passwd">]><qubes>&x;</qubes>'), 'E_CORRUPT');
  });

  test('an undefined entity is refused; predefined entities and character references are decoded', () => {
    failure(() => parseQubesXml('<qubes><labels/><properties><property name="a">&x;</property></properties></qubes>'), 'E_CORRUPT');
    failure(() => parseQubesXml('<qubes><labels/><properties><property name="a">&#0;</property></properties></qubes>'), 'E_CORRUPT');
    failure(() => parseQubesXml('<qubes><labels/><properties><property name="a">&#xD800;</property></properties></qubes>'), 'E_CORRUPT');
    const x = parseQubesXml(`<qubes><labels/><properties>
      <property name="a">&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;</property>
      <property name="b"><![CDATA[&amp;<raw>]]></property>
      <property name="c&amp;d">x</property>
    </properties></qubes>`);
    expect(x.globals).toEqual({ a: `<>&"'AB\u{1F600}`, b: '&amp;<raw>', 'c&d': 'x' });
  });
});

describe('encodings', () => {
  test('bytes and string give the same result; a UTF-8 BOM is skipped; CRLF is normalized', () => {
    const bytes = fixture('ts-v4.xml');
    const text = new TextDecoder().decode(bytes);
    const want = parseQubesXml(bytes);
    expect(parseQubesXml(text)).toEqual(want);
    expect(parseQubesXml(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]))).toEqual(want);
    expect(parseQubesXml('\uFEFF' + text)).toEqual(want);
    expect(parseQubesXml(text.replace(/\n/g, '\r\n'))).toEqual(want);
  });

  test('a subarray at a non-zero byteOffset parses the same', () => {
    const bytes = fixture('gen-v3-plain.xml');
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    expect(parseQubesXml(padded.subarray(3, 3 + bytes.length))).toEqual(parseQubesXml(bytes));
  });

  test('a declared non-UTF-8 encoding is unsupported', () => {
    failure(() => parseQubesXml('<?xml version="1.0" encoding="ISO-8859-1"?><qubes/>'), 'E_UNSUPPORTED');
    expect(parseQubesXml('<?xml version="1.0" encoding="UTF-8"?><qubes><labels/></qubes>').dialect).toBe('core3');
  });

  test('a non-ASCII VM name survives as text (names are checked for paths, not for language)', () => {
    const x = parseQubesXml(core3('<domain id="d" class="AppVM"><properties><property name="name">arbeit-ü</property></properties></domain>'));
    expect(x.vms.map((v) => v.name)).toEqual(['dom0', 'arbeit-ü']);
  });

  test('not bytes nor string is a TypeError', () => {
    expect(() => parseQubesXml(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('mutation fuzz: a damaged real file parses or fails with a library error, never anything else', () => {
  test.each(['ts-v4.xml', 'ts-v3-plain.xml', 'ts-v1.xml'])('%s', (name) => {
    const base = fixture(name);
    const rnd = garbage(4 * 60, name.length * 7919);
    const codes = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const pos = ((rnd[4 * i]! << 16) | (rnd[4 * i + 1]! << 8) | rnd[4 * i + 2]!) % base.length;
      const mutated = new Uint8Array(base);
      const op = rnd[4 * i + 3]! % 3;
      let input: Uint8Array;
      if (op === 0) { mutated[pos] = '<>&"\'/=!?x0 '.charCodeAt(rnd[4 * i + 3]! % 12); input = mutated; }
      else if (op === 1) input = base.subarray(0, pos);
      else input = new Uint8Array([...base.subarray(0, pos), ...base.subarray(pos + 1 + (rnd[4 * i]! % 40))]);
      try {
        parseQubesXml(input);
        codes.add('ok');
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (typeof code !== 'string' || !code.startsWith('E_')) throw e;
        expect((e as Error).message).not.toContain('\n');
        codes.add(code);
      }
    }
    expect(codes.has('E_CORRUPT')).toBe(true);
  });
});
