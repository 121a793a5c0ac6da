import { describe, expect, test } from '@jest/globals';
import { blake2b } from '@noble/hashes/blake2.js';
import { Registry } from '@qubes-backup/core';
import { enc, hex } from '@qubes-backup/testkit';
import { HASH_NAMES, hashPortable } from '../src/index.js';
import { hashNode } from '../src/node.js';
import { describeBackend } from './backend-suite.js';
import { BLAKE2B_512_ABC } from './vectors.js';

describeBackend(hashNode);
describeBackend(hashPortable);

describe('names and the registry', () => {
  test('portable has every name; node has sha256 and sha512 only (node:crypto has no BLAKE2b-256)', () => {
    expect(hashPortable.map((d) => d.name)).toEqual([...HASH_NAMES]);
    expect(hashNode.map((d) => d.name)).toEqual(['sha256', 'sha512']);
  });

  test('a registry with both prefers node and falls back to portable for blake2b-256', () => {
    const r = new Registry({ preferred: 'node' }).use(hashNode, hashPortable);
    expect(r.get('hash', 'sha256').info.backend).toBe('node');
    expect(r.get('hash', 'SHA512').info.backend).toBe('node');
    expect(r.get('hash', 'blake2b-256').info.backend).toBe('portable');
    expect(r.get('hash', 'sha256', { backend: 'portable' }).info.backend).toBe('portable');
    expect(() => r.get('hash', 'md5')).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });

  test('RFC 7693 Appendix A: the BLAKE2b under blake2b-256 is BLAKE2b (512-bit "abc")', () => {
    expect(hex(blake2b(enc('abc')))).toBe(BLAKE2B_512_ABC);
    // And blake2b-256 is not the 512-bit digest cut short: the digest length is a parameter.
    const d = new Registry().use(hashPortable).get('hash', 'blake2b-256').create();
    d.update(enc('abc'));
    expect(hex(d.digest())).not.toBe(BLAKE2B_512_ABC.slice(0, 64));
  });
});
