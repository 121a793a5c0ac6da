import { xchacha20, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AuthenticationError, assertBytes, type Backend, type PluginDescriptor, type StreamCipher } from '@qubes-backup/core';

/** The names this package answers to. */
export const CHACHA_NAMES = ['xchacha20', 'xchacha20-poly1305'] as const;
export type ChachaName = (typeof CHACHA_NAMES)[number];

/** XChaCha20's key and extended nonce (draft-irtf-cfrg-xchacha: HChaCha20 over the first 16 nonce bytes). */
export const XCHACHA_KEY_LENGTH = 32;
export const XCHACHA_NONCE_LENGTH = 24;
/** Poly1305's tag. */
export const POLY1305_TAG_LENGTH = 16;

/** XChaCha20 over one whole message from block 0, on checked arguments it may keep. */
export type XChachaEngine = (key: Uint8Array, nonce: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const nobleXchacha: XChachaEngine = (key, nonce, data) => xchacha20(key, nonce, data);

export function makeChacha(name: ChachaName, backend: Backend = 'portable', engine: XChachaEngine = nobleXchacha): StreamCipher {
  const tagLength = name === 'xchacha20-poly1305' ? POLY1305_TAG_LENGTH : 0;
  return {
    info: { kind: 'stream-cipher', name, backend },
    keyLength: XCHACHA_KEY_LENGTH,
    ivLength: XCHACHA_NONCE_LENGTH,
    ...(tagLength ? { tagLength } : {}),
    async decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
      assertBytes(key, 'key', XCHACHA_KEY_LENGTH);
      assertBytes(iv, 'iv', XCHACHA_NONCE_LENGTH);
      assertBytes(data, 'data');
      // Copies (a Buffer's slice() is a view: wiping it would wipe the caller's key).
      const k = new Uint8Array(key);
      const nonce = new Uint8Array(iv);
      try {
        // The stream starts at block counter 0, as PyCryptodome's ChaCha20 with a 24-byte nonce does.
        if (!tagLength) return await engine(k, nonce, data);
        if (data.length < tagLength) throw new AuthenticationError(`${name}: ${data.length} bytes cannot hold a ${tagLength}-byte tag`);
        try {
          return xchacha20poly1305(k, nonce).decrypt(data);
        } catch (e) {
          // noble checks the tag (in constant time) before it decrypts anything.
          throw new AuthenticationError(`${name}: the tag does not verify (wrong key, or modified bytes)`, { cause: e });
        }
      } finally {
        k.fill(0);
      }
    },
  };
}

function descriptor(name: ChachaName): PluginDescriptor<'stream-cipher'> {
  return { kind: 'stream-cipher', name, backend: 'portable', create: () => makeChacha(name) };
}

/**
 * XChaCha20 (no tag: give it only bytes a hash check already verified) and XChaCha20-Poly1305 in
 * pure JS (@noble/ciphers); runs in browsers.
 */
export const chachaPortable: readonly PluginDescriptor<'stream-cipher'>[] = CHACHA_NAMES.map(descriptor);
