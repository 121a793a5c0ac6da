// Property tests (fast-check): parseQubesXml on mutated real files of both dialects (R2/R3
// `<QubesVmCollection>`, R4 `<qubes>`): byte mutations, token-level edits of attributes and
// elements, and hostile values. Any input gives a model or a typed QubesBackupError naming
// qubes.xml; a model never carries a backup path that could leave its folder.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isQubesBackupError } from '@qubes-backup/core';
import { parseQubesXml } from '@qubes-backup/qubes-xml';
import { fixture } from './_helpers.js';

const RUNS = { numRuns: 2000 };
const dec = new TextDecoder();
const enc = new TextEncoder();

const FILES = ['gen-v2-hidden-names.xml', 'gen-v3-plain.xml', 'gen-v4.xml', 'ts-v1.xml', 'ts-v3-encrypted.xml', 'ts-v4.xml'].map((n) => fixture(n));

function mutate(base: Uint8Array, ops: [number, number, number][]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const [op, pos, v] of ops) {
    const at = b.length ? pos % b.length : 0;
    if (op === 0 && b.length) b[at]! ^= 1 << (v % 8);
    else if (op === 1 && b.length) b[at] = v;
    else if (op === 2) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + (v % 200))]);
    else if (op === 3) { const from = (pos >>> 3) % b.length; b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(from, from + 1 + (v % 300)), ...b.subarray(at)]); }
    else b = b.subarray(0, at);
  }
  return b;
}
const mutations = fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 5 });

function check(xml: Uint8Array | string): void {
  let parsed;
  try {
    parsed = parseQubesXml(xml);
  } catch (e) {
    if (!isQubesBackupError(e)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.member).toBe('qubes.xml');
    return;
  }
  for (const vm of parsed.vms) {
    expect(typeof vm.name).toBe('string');
    const p = vm.backupPath;
    if (p !== undefined && p !== '') {
      expect(p.startsWith('/')).toBe(false);
      expect(p.split('/')).not.toContain('..');
      expect(p).not.toMatch(/[\0\\]/);
    }
  }
  if (parsed.dom0Home) expect(parsed.dom0Home.backupPath.split('/')).not.toContain('..');
}

describe('parseQubesXml under fuzzing', () => {
  test('byte mutations of real R2/R3 and R4 files', () => {
    fc.assert(fc.property(fc.nat(FILES.length - 1), mutations, (i, ops) => check(mutate(FILES[i]!, ops))), RUNS);
  });

  test('attribute and text values replaced with hostile strings', () => {
    const hostile = fc.oneof(
      fc.constantFrom('../../etc', '/etc', 'vm5/../../x', 'dom0-home/../..', '', '\u0000', '&amp;', '&lt;x&gt;', '&#0;', '&#x110000;', '&unknown;',
        "{'a': True}", '[1,', "['x'*9**9]", 'True', '-1', '99999999999999999999', 'appvms/../../x', 'vm-templates/a/../../b', '\\x'),
      fc.string({ maxLength: 30 }),
    );
    // Quoted attribute values and element text, found once per file; the 27 KB ts-v4.xml is left to
    // the byte mutations so the property stays a few seconds on a busy machine.
    const texts = FILES.slice(0, 5).map((f) => dec.decode(f));
    const slots = texts.map((t) => [...t.matchAll(/"([^"]*)"|>([^<]+)</g)].map((m) => ({ at: m.index, len: m[0].length, quoted: m[1] !== undefined })));
    fc.assert(fc.property(fc.nat(texts.length - 1), fc.nat(), hostile, (i, pos, value) => {
      const text = texts[i]!;
      const slot = slots[i]![pos % slots[i]!.length]!;
      const inner = slot.quoted ? `"${value.replace(/"/g, '&quot;').replace(/</g, '&lt;')}"` : `>${value.replace(/</g, '&lt;')}<`;
      check(text.slice(0, slot.at) + inner + text.slice(slot.at + slot.len));
    }), RUNS);
  });

  test('elements duplicated, dropped or nested at random', () => {
    fc.assert(fc.property(fc.nat(FILES.length - 1), fc.array(fc.tuple(fc.nat(2), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }), (i, ops) => {
      let text = dec.decode(FILES[i]!);
      for (const [op, a, b] of ops) {
        const tags = [...text.matchAll(/<[^>]*>/g)];
        if (tags.length === 0) break;
        const t = tags[a % tags.length]!;
        const u = tags[b % tags.length]!;
        if (op === 0) text = text.slice(0, t.index) + t[0] + text.slice(t.index);
        else if (op === 1) text = text.slice(0, t.index) + text.slice(t.index! + t[0].length);
        else text = text.slice(0, u.index) + t[0] + text.slice(u.index);
      }
      check(enc.encode(text));
    }), RUNS);
  });

  test('random documents', () => {
    const piece = fc.constantFrom('<qubes>', '</qubes>', '<QubesVmCollection>', '</QubesVmCollection>', '<domain id="d" class="AppVM">', '</domain>',
      '<properties>', '</properties>', '<property name="name">', '</property>', '<features>', '<feature name="backup-path">', '</feature>',
      '<QubesAppVm qid="1" name="x" backup_path="vm1" backup_content="True"/>', '<!DOCTYPE x [<!ENTITY a "b">]>', '&a;', '<![CDATA[x]]>', '<?xml version="1.0"?>', 'text', '<', '>', '"', '&');
    fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), (parts) => check(parts.join(''))), RUNS);
  });
});
