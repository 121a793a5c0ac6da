import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';
import { setOwn } from './_record.js';

/** The member every error of this package names. */
export const MEMBER = 'qubes.xml';

/** Largest qubes.xml accepted. Real ones are tens of KiB; this bounds memory for a hostile one. */
export const MAX_XML_BYTES = 64 * 1024 * 1024;

/** qubes.xml nests 6 deep (qubes/domains/domain/devices/device/option); more is not qubes.xml. */
const MAX_DEPTH = 32;

/** One element: its tag, attributes, child elements and its own text (null when it has none, as lxml's `.text`). */
export interface XmlElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string | null;
}

/** Node shapes of fast-xml-parser's `preserveOrder` output. */
type RawNode = { [key: string]: RawNode[] | Record<string, string> | string | undefined };

const TEXT = '#text';
const CDATA = '#cdata';
const ATTRS = ':@';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Entities are decoded by `decodeReferences` below: only the five predefined ones and character
  // references, so no DTD-defined entity can ever expand.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: CDATA,
  maxNestedTags: MAX_DEPTH,
  // No callbacks use tag paths; building them costs most of the parse time.
  jPath: false,
});

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** A parser message as one short line: they can span lines and quote the document. */
function oneLine(message: string): string {
  const line = (message.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

function corrupt(message: string, cause?: unknown): CorruptBackupError {
  return new CorruptBackupError(message, { member: MEMBER, cause });
}

/** XML 1.0 `Char`: what a character reference may name. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff)
    || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function decodeReferences(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&]{0,16});?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw corrupt(`malformed reference ${JSON.stringify(whole)}`);
    const named = PREDEFINED[body];
    if (named !== undefined && Object.prototype.hasOwnProperty.call(PREDEFINED, body)) return named;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
    if (m === null) throw corrupt(`undefined entity ${JSON.stringify(whole)} (DTD entities are not processed)`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2] ?? '', 10);
    if (!isXmlChar(cp)) throw corrupt(`character reference ${JSON.stringify(whole)} names no XML character`);
    return String.fromCodePoint(cp);
  });
}

/** Attribute-value normalization (XML 1.0 §3.3.3): literal whitespace becomes a space, references stay. */
function attrValue(raw: string): string {
  return decodeReferences(raw.replace(/[\t\n]/g, ' '));
}

function toText(input: Uint8Array | string): string {
  if (typeof input === 'string') {
    if (input.length > MAX_XML_BYTES) throw corrupt(`larger than ${MAX_XML_BYTES} bytes, refused`);
    return input.startsWith('\uFEFF') ? input.slice(1) : input;
  }
  if (!(input instanceof Uint8Array)) throw new TypeError('xml must be a Uint8Array or a string');
  if (input.byteLength > MAX_XML_BYTES) throw corrupt(`${input.byteLength} bytes, larger than ${MAX_XML_BYTES}, refused`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (e) {
    throw corrupt('not valid UTF-8', e);
  }
}

function checkProlog(text: string): void {
  // A DOCTYPE could define entities or external subsets; qubes.xml never has one.
  if (text.includes('<!DOCTYPE')) throw corrupt('has a DOCTYPE declaration, refused');
  const decl = /^\s*<\?xml\s[^?]*?encoding\s*=\s*["']([^"']*)["']/.exec(text);
  if (decl !== null) {
    const enc = (decl[1] ?? '').toLowerCase();
    if (!['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(enc)) {
      throw new UnsupportedError(`declared encoding ${JSON.stringify(decl[1])} is not supported (UTF-8 only)`, { member: MEMBER });
    }
  }
}

function tagOf(node: RawNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ATTRS) return key;
  return undefined;
}

function convert(node: RawNode, tag: string): XmlElement {
  const rawAttrs = node[ATTRS];
  const attrs: Record<string, string> = {};
  if (rawAttrs !== undefined && typeof rawAttrs === 'object' && !Array.isArray(rawAttrs)) {
    for (const [k, v] of Object.entries(rawAttrs)) setOwn(attrs, k, attrValue(String(v)));
  }
  const children: XmlElement[] = [];
  let text: string | null = null;
  const body = node[tag];
  for (const child of Array.isArray(body) ? body : []) {
    const childTag = tagOf(child);
    if (childTag === undefined) continue;
    if (childTag === TEXT) {
      text = (text ?? '') + decodeReferences(String(child[TEXT]));
    } else if (childTag === CDATA) {
      const parts = child[CDATA];
      for (const part of Array.isArray(parts) ? parts : []) text = (text ?? '') + String(part[TEXT] ?? '');
    } else {
      children.push(convert(child, childTag));
    }
  }
  return { tag, attrs, children, text };
}

/**
 * Parses hostile XML into a small element tree: size-bounded, UTF-8 only, no DTD, no entity
 * expansion, bounded nesting, exactly one root element. Throws CorruptBackupError naming qubes.xml.
 */
export function parseXmlTree(input: Uint8Array | string): XmlElement {
  // XML 1.0 §2.11 end-of-line handling, as a conforming parser would do it.
  const text = toText(input).replace(/\r\n?/g, '\n');
  checkProlog(text);
  let raw: unknown;
  try {
    raw = parser.parse(text);
  } catch (e) {
    throw corrupt(`malformed XML: ${oneLine(e instanceof Error ? e.message : String(e))}`, e);
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw corrupt(`malformed XML: ${oneLine(valid.err.msg)} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  const roots: XmlElement[] = [];
  for (const node of Array.isArray(raw) ? (raw as RawNode[]) : []) {
    const tag = tagOf(node);
    if (tag === undefined || tag === TEXT || tag === CDATA) continue;
    roots.push(convert(node, tag));
  }
  if (roots.length !== 1) throw corrupt(`malformed XML: ${roots.length} root elements, expected 1`);
  return roots[0] as XmlElement;
}

/** Child elements with this tag, in document order (lxml `findall('tag')`). */
export function childrenNamed(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}

/** The first child element with this tag (lxml `find('tag')`). */
export function firstChild(el: XmlElement, tag: string): XmlElement | undefined {
  return el.children.find((c) => c.tag === tag);
}

/** `el.get(name)`: undefined when absent. */
export function attr(el: XmlElement, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(el.attrs, name) ? el.attrs[name] : undefined;
}

/** lxml `findall('./outer/inner')`: every `inner` under every `outer` child, in document order. */
export function findAll(el: XmlElement, outer: string, inner: string): XmlElement[] {
  return childrenNamed(el, outer).flatMap((o) => childrenNamed(o, inner));
}
