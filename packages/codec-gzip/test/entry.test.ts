// The package's main entry point must load in a browser: no node:* module, directly or through
// anything it imports. The node backends live behind the `./node` subpath.
import { expect, test } from '@jest/globals';
import * as main from '@qubes-backup/codec-gzip';
import * as node from '@qubes-backup/codec-gzip/node';
import * as portable from '@qubes-backup/codec-gzip/portable';
import { builtinImportsFrom } from '@qubes-backup/testkit';

test('src/index.ts reaches no node:* module', () => {
  expect(builtinImportsFrom(new URL('../src/index.ts', import.meta.url))).toEqual([]);
});

test('the node subpath does reach node:zlib (the check above can see it)', () => {
  expect(builtinImportsFrom(new URL('../src/node.ts', import.meta.url)).map((i) => i.specifier)).toContain('node:zlib');
});

test('entry points: portable descriptors from the main one, node ones from ./node', () => {
  expect(Object.keys(main).sort()).toEqual(['adler32', 'crc32', 'crc32Portable', 'gunzipDecompressionStream', 'gunzipPortable', 'gzipDecompressionStream', 'gzipPortable', 'unzlibPortable', 'zlibPortable']);
  expect(Object.keys(node).sort()).toEqual(['crc32Node', 'gunzipNode', 'gzipNode', 'unzlibNode', 'zlibNode']);
  expect(Object.keys(portable).sort()).toEqual(['gunzipPortable', 'gzipPortable', 'unzlibPortable', 'zlibPortable']);
  for (const d of [main.gzipPortable, main.zlibPortable]) expect(d.backend).toBe('portable');
  for (const d of [node.gzipNode, node.zlibNode]) expect(d.backend).toBe('node');
});
