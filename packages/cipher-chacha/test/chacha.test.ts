import { describe, expect, test } from '@jest/globals';
import { xchacha20, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { Registry } from '@qubes-backup/core';
import { chachaPortable } from '@qubes-backup/cipher-chacha';

const registry = new Registry().use(chachaPortable);
const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
const text = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

describe('xchacha20', () => {
  const c = registry.get('stream-cipher', 'xchacha20');
  test('capabilities: 32-byte key, 24-byte nonce, no tag', () => {
    expect([c.keyLength, c.ivLength, c.tagLength ?? 0]).toEqual([32, 24, 0]);
  });
  test('decrypts what XChaCha20 encrypted (the stream from block 0), leaving the input as it was', async () => {
    const ct = xchacha20(key, nonce, text);
    const copy = ct.slice();
    expect(await c.decrypt(key, nonce, ct)).toEqual(text);
    expect(ct).toEqual(copy);
  });
  test('arguments are checked', async () => {
    await expect(c.decrypt(key.subarray(1), nonce, text)).rejects.toThrow(RangeError);
    await expect(c.decrypt(key, nonce.subarray(1), text)).rejects.toThrow(RangeError);
  });
});

describe('xchacha20-poly1305', () => {
  const c = registry.get('stream-cipher', 'xchacha20-poly1305');
  const sealed = xchacha20poly1305(key, nonce).encrypt(text);
  test('the tag follows the ciphertext; a good one gives the plaintext', async () => {
    expect(c.tagLength).toBe(16);
    expect(await c.decrypt(key, nonce, sealed)).toEqual(text);
  });
  test('a flipped byte anywhere, another key or a cut tag is an AuthenticationError', async () => {
    for (const at of [0, 50, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at]! ^= 1;
      await expect(c.decrypt(key, nonce, bad)).rejects.toMatchObject({ code: 'E_AUTH' });
    }
    const other = key.slice();
    other[0]! ^= 1;
    await expect(c.decrypt(other, nonce, sealed)).rejects.toMatchObject({ code: 'E_AUTH' });
    await expect(c.decrypt(key, nonce, sealed.subarray(0, 10))).rejects.toMatchObject({ code: 'E_AUTH' });
  });
});

describe('xchacha20 on node:crypto (HChaCha20 subkey, then OpenSSL ChaCha20)', () => {
  test('equals the portable one on every length around the block size, Buffers and views too; the caller\'s bytes stay', async () => {
    const { chachaNode } = await import('@qubes-backup/cipher-chacha/node');
    const node = chachaNode.find((d) => d.name === 'xchacha20')!.create();
    const portable = registry.get('stream-cipher', 'xchacha20');
    expect(node.info.backend).toBe('node');
    for (const len of [0, 1, 63, 64, 65, 1000, (256 << 10) + 17]) {
      const k = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + len) & 0xff));
      const iv = Buffer.from(Uint8Array.from({ length: 24 }, (_, i) => (i * 13 + len) & 0xff));
      const data = new Uint8Array(len + 3).map((_, i) => (i * 31) & 0xff).subarray(3);
      const want = await portable.decrypt(new Uint8Array(k), new Uint8Array(iv), data);
      expect(Buffer.from(await node.decrypt(k, iv, data)).equals(Buffer.from(want))).toBe(true);
      expect(k.some((b) => b !== 0)).toBe(true);
    }
  });
});
