import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { PluginDescriptor } from '@qubes-backup/core';

/** `read-twice` in pure JS: HMAC-SHA256 (a PRF) under a fresh random key. */
export const fingerprintPortable: PluginDescriptor<'fingerprint'> = {
  kind: 'fingerprint', name: 'read-twice', backend: 'portable',
  create: () => ({
    info: { kind: 'fingerprint', name: 'read-twice', backend: 'portable' },
    create() {
      const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
      return (data) => hmac(sha256, key, data);
    },
  }),
};
