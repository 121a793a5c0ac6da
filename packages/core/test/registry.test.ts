import { describe, expect, test } from '@jest/globals';
import { Registry, type PluginDescriptor, type Compressor, WrongPassphraseError, CorruptBackupError } from '@qubes-backup/core';

const identity = (name: string, backend: 'node' | 'portable', aliases: string[] = []): PluginDescriptor<'compressor'> => ({
  kind: 'compressor', name, aliases, backend,
  create: (): Compressor => ({ info: { kind: 'compressor', name, backend }, decompress: (d) => d }),
});

describe('Registry', () => {
  test('prefers the node backend, finds aliases case-insensitively', () => {
    const r = new Registry().use(identity('gzip', 'portable', ['pigz']), identity('gzip', 'node', ['pigz']));
    expect(r.get('compressor', 'PIGZ').info.backend).toBe('node');
    expect(r.get('compressor', 'gzip', { backend: 'portable' }).info.backend).toBe('portable');
  });
  test('unknown names throw UnsupportedError listing the known ones', () => {
    const r = new Registry().use(identity('gzip', 'portable'));
    expect(() => r.get('compressor', 'sh')).toThrow(/no plugin for compression filter 'sh' \(known: gzip\)/);
    expect(() => r.get('format', 'v9')).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });
  test('duplicates throw; a used registry is frozen; clone is mutable', () => {
    const r = new Registry().use(identity('xz', 'portable'));
    expect(() => r.use(identity('xz', 'portable'))).toThrow(/duplicate/);
    r.get('compressor', 'xz');
    expect(() => r.use(identity('zstd', 'portable'))).toThrow(/frozen/);
    const c = r.clone().remove('compressor', 'xz');
    expect(c.has('compressor', 'xz')).toBe(false);
    // The clone is a copy: the frozen original keeps its plugin, and the clone takes new ones.
    expect(r.has('compressor', 'xz')).toBe(true);
    expect(c.use(identity('zstd', 'portable')).has('compressor', 'zstd')).toBe(true);
  });
});

describe('errors', () => {
  test('one-line messages naming the member, stable codes', () => {
    const e = new WrongPassphraseError('wrong passphrase', { member: 'backup-header.hmac' });
    expect(e.message).toBe('backup-header.hmac: wrong passphrase');
    expect(e.code).toBe('E_PASSPHRASE');
    expect(new CorruptBackupError('x').code).toBe('E_CORRUPT');
  });
});

import { ByteReader } from '@qubes-backup/core';
describe('ByteReader', () => {
  test('reads at and past the end give empty bytes, not a TypeError', async () => {
    async function* src() { yield new Uint8Array([1, 2, 3]); }
    const r = new ByteReader(src());
    expect(await r.read(0)).toEqual(new Uint8Array(0));
    expect(await r.read(5)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await r.read(1)).toEqual(new Uint8Array(0));
    expect(await r.atEnd()).toBe(true);
  });
});

describe('ByteReader.single', () => {
  const of = (...xs: number[][]) => (async function* () { for (const x of xs) yield new Uint8Array(x); })();
  const all = async (s: AsyncIterable<Uint8Array>) => { const out: number[][] = []; for await (const p of s) out.push([...p]); return out; };
  test.each([
    ['one piece', [[1, 2]], [1, 2]],
    ['none', [], undefined],
    ['two pieces', [[1], [2]], undefined],
    ['three pieces', [[1], [2], [3, 4]], undefined],
  ])('%s: the piece when it is the only one, and every piece again either way', async (_what, pieces, only) => {
    const r = await ByteReader.single(of(...pieces));
    expect(r.only ? [...r.only] : r.only).toEqual(only);
    expect(await all(r.stream)).toEqual(pieces);
  });
});

describe('ByteReader with tiny pieces', () => {
  test('100k one-byte pieces read back in order, each pulled once', async () => {
    const n = 100_000;
    let pulled = 0;
    async function* src() { for (let i = 0; i < n; i++) { pulled++; yield new Uint8Array([i & 0xff]); } }
    const r = new ByteReader(src());
    const all = await r.read(n);
    expect(all.length).toBe(n);
    expect(all.every((b, i) => b === (i & 0xff))).toBe(true);
    expect(pulled).toBe(n);
    expect(await r.atEnd()).toBe(true);
  });
});

describe('Registry.detect', () => {
  const format = (name: string, claims: (head?: Uint8Array) => boolean): PluginDescriptor<'format'> => ({
    kind: 'format', name, backend: 'portable',
    create: () => ({ info: { kind: 'format', name, backend: 'portable' }, detect: async (_i, p) => claims(p.head), open: async () => { throw new Error('not opened'); } }),
  });
  const input = { kind: 'file' as const, source: { name: 'x', seekable: false, stream: async function* () { /* empty */ } } };

  test('asks the formats in registration order and returns the first that claims the input', async () => {
    const r = new Registry().use(format('a', () => false), format('b', (h) => h?.[0] === 1), format('c', () => true));
    expect((await r.detect(input, Uint8Array.of(1)))?.info.name).toBe('b');
    expect((await r.detect(input, Uint8Array.of(2)))?.info.name).toBe('c');
    expect(await new Registry().use(format('a', () => false)).detect(input)).toBeUndefined();
  });
});
