import { describe, expect, test } from '@jest/globals';
import { parsePythonBoolDict, parsePythonStrList } from '../src/index.js';
import { core2, failure } from './_helpers.js';
import { parseCore2 } from '../src/index.js';

describe('parsePythonBoolDict', () => {
  test.each([
    ['{}', []],
    ['{ }', []],
    ["{'meminfo-writer': True}", [['meminfo-writer', true]]],
    ["{ 'meminfo-writer': True}", [['meminfo-writer', true]]],
    ["{'ntpd': False, 'meminfo-writer': False}", [['ntpd', false], ['meminfo-writer', false]]],
    ['{"a": True,}', [['a', true]]],
    ["{u'a':False}", [['a', false]]],
    ["{'it\\'s': True}", [["it's", true]]],
    ["\t{'a' :\nTrue }\n", [['a', true]]],
    ["{'a': True, 'a': False}", [['a', true], ['a', false]]],
  ])('%j', (src, want) => {
    expect(parsePythonBoolDict(src)).toEqual(want);
  });

  test.each([
    '', '{', '}', '{,}', "{'a'}", "{'a': }", "{'a': 1}", "{'a': 'True'}", "{'a': true}", "{'a': None}",
    "{'a': Truex}", "{'a': True 'b': False}", "{'a': True}, 1", "{'a': True}}", "{'a: True}", "{'a\\n': True}",
    "{'a': True,,}", "[('a', True)]", "{'a': {'b': True}}", "{a: True}", "{'a': True}; import os",
    "__import__('os').system('id')", "{'a': __import__('os').system('id')}", "{'a': (lambda: True)()}",
    "{'a': True if 1 else False}", "{**{'a': True}}", "{'a': True}\u0000", "{'x' 'y': True}",
  ])('refuses %j', (src) => {
    expect(parsePythonBoolDict(src)).toBeNull();
  });

  test('a long literal is refused before it is scanned', () => {
    expect(parsePythonBoolDict(`{${"'a': True, ".repeat(10000)}}`)).toBeNull();
  });
});

describe('parsePythonStrList', () => {
  test.each([
    ['[]', []],
    ["['02:00.0']", ['02:00.0']],
    ["['02:00.0', '03:00.0']", ['02:00.0', '03:00.0']],
    ['["00:19.0",]', ['00:19.0']],
    ["[u'00:19.0']", ['00:19.0']],
  ])('%j', (src, want) => {
    expect(parsePythonStrList(src)).toEqual(want);
  });

  test.each([
    '', '[', "['a'", "['a',,]", '[1]', '[None]', "[['a']]", "('a',)", "['a'] + ['b']", "['a'][0]",
    "[__import__('os')]", "[__import__('os').system('id')]", "['a' 'b']", "['a'],",
  ])('refuses %j', (src) => {
    expect(parsePythonStrList(src)).toBeNull();
  });
});

describe('injection through qubes.xml attributes is corrupt, naming the VM', () => {
  test.each([
    `services="__import__('os').system('touch /tmp/pwned')"`,
    `services="{'meminfo-writer': __import__('os').system('id')}"`,
    `services="{'a': 1}"`,
    `pcidevs="[__import__('os').system('id')]"`,
    `pcidevs="['02:00.0'] * 1000000"`,
  ])('%s', (attrs) => {
    const err = failure(() => parseCore2(core2(`<QubesAppVm name="evil" qid="5" template_qid="1" ${attrs} />`)), 'E_CORRUPT');
    expect(err.message).toContain('"evil"');
  });
});
