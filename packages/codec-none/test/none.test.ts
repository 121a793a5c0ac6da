import { describe, expect, test } from '@jest/globals';
import { Registry, collect, concatBytes, equalBytes } from '@qubes-backup/core';
import { nonePortable, passThrough } from '@qubes-backup/codec-none';
import { streamOf as pieces } from '@qubes-backup/testkit';

describe('codec-none', () => {
  test('yields the input unchanged, in pieces of at most 1 MiB', async () => {
    const big = new Uint8Array(2.5 * (1 << 20)).map((_, i) => i & 0xff);
    const small = new Uint8Array([1, 2, 3]);
    const out: Uint8Array[] = [];
    for await (const c of passThrough(pieces(small, new Uint8Array(0), big))) out.push(c);
    expect(Math.max(...out.map((c) => c.length))).toBeLessThanOrEqual(1 << 20);
    // toEqual walks typed arrays element by element (seconds for MiBs)
    expect(equalBytes(concatBytes(out), concatBytes([small, big]))).toBe(true);
  });

  test('is registered as none and cat', async () => {
    const r = new Registry().use(nonePortable);
    expect(r.get('compressor', 'CAT')).toBe(r.get('compressor', 'none'));
    const c = r.get('compressor', 'none');
    expect(c.info.name).toBe('none');
    expect(await collect(c.decompress(pieces(new Uint8Array([9]))), 10)).toEqual(new Uint8Array([9]));
  });

  test('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(collect(passThrough(pieces(new Uint8Array(5)), { signal: ac.signal }), 100)).rejects.toThrow('stop');
  });
});
