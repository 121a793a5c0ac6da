// Property tests (fast-check): `openssl enc` decryption of random and mutated input. openssl enc
// has no MAC, so a mutated ciphertext may decrypt to other bytes; what must hold is that any input
// gives bytes or a typed QubesBackupError (never a TypeError, RangeError or a hang), and that
// what openssl's own key derivation encrypts decrypts back, at any piece size.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mutate, mutationOps } from '@qubes-backup/testkit';
import { createCipheriv, createHash } from 'node:crypto';
import { isQubesBackupError, type ByteStream, type Cipher } from '@qubes-backup/core';
import { evpBytesToKey } from '@qubes-backup/cipher-openssl';
import { createOpensslCipher } from '@qubes-backup/cipher-openssl/node';
import { fixture } from './helpers.js';

const RUNS = { numRuns: 2000 };
const PASS = new TextEncoder().encode('qubes');

const mutations = mutationOps(4);

async function* pieces(bytes: Uint8Array, size: number): ByteStream {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function decrypt(c: Cipher, data: Uint8Array, piece: number): Promise<Uint8Array | undefined> {
  const out: Uint8Array[] = [];
  try {
    for await (const p of c.decrypt(pieces(data, piece), PASS)) out.push(p);
    return Buffer.concat(out);
  } catch (e) {
    if (!isQubesBackupError(e)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
    return undefined;
  }
}

const NAMES = ['aes-256-cbc', 'aes-128-cbc', 'aes-256-ctr', 'aes-192-cfb', 'aes-128-ofb'] as const;
const CIPHERS = NAMES.flatMap((name) => (['node', 'portable'] as const).map((backend) => ({ name, backend, c: createOpensslCipher({ name, backend }) })));
const REAL = NAMES.map((n) => fixture(`${n}.md5.17.bin`)).concat(NAMES.map((n) => fixture(`${n}.md5.0.bin`)));

describe('openssl enc decrypt under fuzzing', () => {
  test('random input', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(CIPHERS.length - 1), fc.uint8Array({ maxLength: 200 }), fc.boolean(), async (i, body, salted) => {
      const data = salted ? Buffer.concat([Buffer.from('Salted__'), body]) : body;
      await decrypt(CIPHERS[i]!.c, data, 7);
    }), RUNS);
  });

  test('mutated real openssl output (magic, salt, blocks, padding, length)', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(REAL.length - 1), mutations, fc.constantFrom(1, 5, 16, 4096), fc.constantFrom('node', 'portable'), async (i, ops, piece, backend) => {
      const name = NAMES[i % NAMES.length]!;
      const c = CIPHERS.find((x) => x.name === name && x.backend === backend)!.c;
      await decrypt(c, mutate(REAL[i]!, ops, 32), piece);
    }), RUNS);
  });

  test('what openssl key derivation encrypts decrypts back, both backends, any split', async () => {
    const md5 = (d: Uint8Array) => new Uint8Array(createHash('md5').update(d).digest());
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.nat(CIPHERS.length - 1), fc.integer({ min: 1, max: 64 }), async (plain, salt, i, piece) => {
      const { name, c } = CIPHERS[i]!;
      const keyLen = Number(/aes-(\d+)/.exec(name)![1]) / 8;
      const { key, iv } = evpBytesToKey(md5, PASS, salt, keyLen, 16);
      const e = createCipheriv(name, key, iv);
      const data = Buffer.concat([Buffer.from('Salted__'), salt, e.update(plain), e.final()]);
      expect(Buffer.from((await decrypt(c, data, piece))!).equals(Buffer.from(plain))).toBe(true);
    }), RUNS);
  });
});
