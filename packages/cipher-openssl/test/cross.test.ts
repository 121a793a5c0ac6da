import { describe, expect, test } from '@jest/globals';
import { createCipheriv } from 'node:crypto';
import { Registry, once } from '@qubes-backup/core';
import { OPENSSL_CIPHER_NAMES, evpBytesToKey, opensslCiphersPortable } from '../src/index.js';
import { createOpensslCipher, opensslCiphersNode, opensslPrimitivesNode } from '../src/node.js';
import { opensslPrimitivesPortable } from '../src/portable.js';
import { consume, enc, fromHex, hex, prng, randomBytes, randomSplits } from '@qubes-backup/testkit';

test('EVP_BytesToKey matches `openssl enc -P` (deps.md §6, salt 0102030405060708, pass x)', () => {
  // `openssl enc -aes-256-cbc -pass pass:x -S 0102030405060708 -P [-md md5]`, OpenSSL 3.0.19.
  const salt = fromHex('0102030405060708');
  for (const prims of [opensslPrimitivesNode, opensslPrimitivesPortable]) {
    const md5 = evpBytesToKey((d) => prims.hash('md5', d), enc('x'), salt, 32, 16);
    const s256 = evpBytesToKey((d) => prims.hash('sha256', d), enc('x'), salt, 32, 16);
    expect(hex(md5.key).toUpperCase()).toMatch(/^DF39DED3/);
    expect(hex(md5.iv).toUpperCase()).toMatch(/^E5326982/);
    expect(hex(s256.key).toUpperCase()).toMatch(/^9CE4918D/);
    expect(hex(s256.iv).toUpperCase()).toMatch(/^89A5CA2E/);
  }
});

/** An `openssl enc` writer for random tests (node:crypto); the committed fixtures pin it to the real tool. */
function encrypt(name: string, digest: 'md5' | 'sha256', pass: Uint8Array, plain: Uint8Array, salt: Uint8Array): Uint8Array {
  const keyLen = Number(name.split('-')[1]) / 8;
  const { key, iv } = evpBytesToKey((d) => opensslPrimitivesNode.hash(digest, d), pass, salt, keyLen, 16);
  const c = createCipheriv(name, key, iv);
  return new Uint8Array(Buffer.concat([Buffer.from('Salted__'), salt, c.update(plain), c.final()]));
}

describe.each(OPENSSL_CIPHER_NAMES.map((n) => [n]))('node and portable agree on random input: %s', (name) => {
  test('random sizes, passphrases, digests and splits', async () => {
    const rnd = prng(name.length * 13 + name.charCodeAt(8));
    for (let t = 0; t < 6; t++) {
      const size = t === 0 ? 0 : Math.floor(rnd() * (t === 5 ? 300000 : 5000));
      const plain = randomBytes(size, t + 1);
      const pass = randomBytes(1 + Math.floor(rnd() * 30), t + 2);
      const digest = rnd() < 0.5 ? 'md5' : 'sha256';
      const ct = encrypt(name, digest, pass, plain, randomBytes(8, t + 3));
      const outs = await Promise.all((['node', 'portable'] as const).map(async (backend, i) =>
        hex((await consume(createOpensslCipher({ name, digest, backend }).decrypt(randomSplits(ct, t * 2 + i, 2000), pass))).bytes)));
      expect(outs[0]).toBe(hex(plain));
      expect(outs[1]).toBe(outs[0]);
    }
  });
});

test('CTR counter carries across all 16 bytes like OpenSSL', async () => {
  // A salt whose derived IV ends in ff bytes is hard to find; check the carry on the primitive instead.
  const key = randomBytes(16, 9);
  const iv = fromHex('0000000000000000fffffffffffffffe');
  const data = randomBytes(100, 10);
  const want = createCipheriv('aes-128-ctr', key, iv).update(data);
  const spec = { name: 'aes-128-ctr', mode: 'ctr', keyLength: 16, ivLength: 16, padded: false } as const;
  const d = opensslPrimitivesPortable.decryptor(spec, key, iv);
  const got = Buffer.concat([d.update(data.subarray(0, 48)), d.update(data.subarray(48)), d.final()]);
  expect(hex(got)).toBe(hex(want));
});

test('registry: case-insensitive names and OpenSSL aliases; unknown names are UnsupportedError', async () => {
  const r = new Registry().use(opensslCiphersNode, opensslCiphersPortable);
  expect(r.get('cipher', 'AES-256-CBC').info).toEqual({ kind: 'cipher', name: 'aes-256-cbc', backend: 'node' });
  expect(r.get('cipher', 'aes256', { backend: 'portable' }).info.name).toBe('aes-256-cbc');
  expect(() => createOpensslCipher({ name: 'des-ede3-cbc' })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  const c = createOpensslCipher({ name: 'aes-128-cbc' });
  await expect(consume(c.decrypt(once(new Uint8Array(0)), enc('x')))).rejects.toMatchObject({ code: 'E_CORRUPT' });
});
