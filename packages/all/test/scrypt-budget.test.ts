// One budget for every scrypt derivation of a process: the kdf plugin's (Wyng archives derive their
// keys with it) goes through cipher-scrypt's scheduler and engine, as format 4's chunk keys do, and
// gives what node:crypto's scrypt gives.
import { expect, test } from '@jest/globals';
import { scryptSync } from 'node:crypto';
import { scryptPrimitivesNode } from '@qubes-backup/cipher-scrypt/node';
import { defaultRegistry } from '../src/node.js';

test("defaultRegistry's kdf scrypt runs under the process's derivation scheduler", async () => {
  const scrypt = defaultRegistry().get('kdf', 'scrypt');
  const salt = new Uint8Array(32).fill(3);
  const before = scryptPrimitivesNode.scheduler.stats.finished;
  const key = await scrypt.derive(new TextEncoder().encode('wyng'), { salt, cost: 2 ** 12, blockSize: 8, parallelism: 1, length: 32 });
  expect(scryptPrimitivesNode.scheduler.stats.finished).toBe(before + 1);
  expect(Buffer.from(key).toString('hex')).toBe(scryptSync('wyng', salt, 32, { N: 2 ** 12, r: 8, p: 1 }).toString('hex'));
});
