// Stored (outer) names: the chunk grammar `<path>.NNN<suffix>` that orders a file's chunks, and
// the check that no outer name can address anything outside the backup's namespace.
import { describe, expect, test } from '@jest/globals';
import { assertSafeStoredName, parseChunkName } from '@qubes-backup/qubes-common';

describe('parseChunkName', () => {
  test.each([
    ['vm5/private.img.000.enc', '.enc', { path: 'vm5/private.img', index: 0, stem: 'vm5/private.img.000' }],
    ['vm5/private.img.042.enc', '.enc', { path: 'vm5/private.img', index: 42, stem: 'vm5/private.img.042' }],
    ['vm5/private.img.1000.enc', '.enc', { path: 'vm5/private.img', index: 1000, stem: 'vm5/private.img.1000' }],
    ['qubes.xml.000', '', { path: 'qubes.xml', index: 0, stem: 'qubes.xml.000' }],
    ['a.b.c.999', '', { path: 'a.b.c', index: 999, stem: 'a.b.c.999' }],
    ['dom0-home/us\ner.001', '', { path: 'dom0-home/us\ner', index: 1, stem: 'dom0-home/us\ner.001' }],
    ['x.000.hmac', '.hmac', { path: 'x', index: 0, stem: 'x.000' }],
  ] as const)('%j with suffix %j', (name, suffix, want) => {
    expect(parseChunkName(name, suffix)).toEqual(want);
  });

  test.each([
    ['the suffix missing', 'vm5/private.img.000', '.enc'],
    ['two digits', 'vm5/private.img.00.enc', '.enc'],
    ['no path', '.000.enc', '.enc'],
    ['a leading zero beyond three digits ("0100" is not chunk 100)', 'vm5/private.img.0100.enc', '.enc'],
    ['an index beyond 2^53', `vm5/private.img.${'9'.repeat(20)}.enc`, '.enc'],
    ['letters', 'vm5/private.img.00a.enc', '.enc'],
    ['a .hmac read as a chunk', 'x.000.hmac', ''],
    ['no dot before the digits', 'vm5/private000.enc', '.enc'],
  ])('not a chunk: %s', (_what, name, suffix) => {
    expect(parseChunkName(name, suffix)).toBeUndefined();
  });
});

describe('assertSafeStoredName', () => {
  test.each(['vm5/private.img.000.enc', 'qubes.xml.000', 'vm9/./apps.000', 'dom0-home/user.000', 'dir/', 'a..b/..c.000'])('%j is accepted', (name) => {
    expect(() => assertSafeStoredName(name)).not.toThrow();
  });

  test.each(['/etc/passwd', '../x.000', 'vm5/../../x.000', 'vm5/..', 'a//b.000', '', '/', 'vm5\\x.000', 'vm5/x\0.000'])('%j is refused', (name) => {
    let error: unknown;
    try { assertSafeStoredName(name); } catch (e) { error = e; }
    expect(error).toMatchObject({ name: 'UnsafePathError', code: 'E_UNSAFE_PATH', member: name });
    expect((error as Error).message).toContain('unsafe member name in the backup (absolute, .., empty component, NUL or backslash)');
  });
});
