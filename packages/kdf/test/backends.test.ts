import { expect, test } from '@jest/globals';
import { Registry } from '@qubes-backup/core';
import { kdfPortable } from '../src/index.js';
import { kdfNode, kdfNodeWith } from '../src/node.js';
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

test('kdfNodeWith: scrypt through the runner the composition gives, node:crypto where it declines', async () => {
  const seen: number[] = [];
  const kdfs = kdfNodeWith({
    scrypt: (_secret, params) => {
      seen.push(params.length);
      return params.length <= 64 ? Promise.resolve(new Uint8Array(params.length).fill(7)) : undefined;
    },
  });
  const scrypt = new Registry().use(kdfs).get('kdf', 'scrypt');
  const params = { salt: new Uint8Array(16), cost: 1024, blockSize: 8, parallelism: 1 };
  expect(await scrypt.derive(new Uint8Array([1]), { ...params, length: 32 })).toEqual(new Uint8Array(32).fill(7));
  const own = await new Registry().use(kdfNode).get('kdf', 'scrypt').derive(new Uint8Array([1]), { ...params, length: 100 });
  expect(await scrypt.derive(new Uint8Array([1]), { ...params, length: 100 })).toEqual(own);
  expect(seen).toEqual([32, 100]);
});
