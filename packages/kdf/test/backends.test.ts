import { expect, test } from '@jest/globals';
import { Registry } from '@qubes-backup/core';
import { kdfPortable } from '../src/index.js';
import { kdfNode } from '../src/node.js';
import { describeBackend } from './backend-suite.js';

describeBackend(kdfNode);
describeBackend(kdfPortable);

test('the registry gives node where it runs, portable on request', () => {
  const r = new Registry({ preferred: 'node' }).use(kdfNode, kdfPortable);
  expect(r.get('kdf', 'pbkdf2-sha256').info.backend).toBe('node');
  expect(r.get('kdf', 'HKDF-SHA512').info).toEqual({ kind: 'kdf', name: 'hkdf-sha512', backend: 'node' });
  expect(r.get('kdf', 'pbkdf2-sha256', { backend: 'portable' }).info.backend).toBe('portable');
  expect(() => r.get('kdf', 'argon2id')).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
});
