import { hmac } from '@noble/hashes/hmac.js';
import { md5, ripemd160, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { PluginDescriptor } from '@qubes-backup/core';
import type { HmacFactory } from './mac.js';
import { hmacDescriptors, hmacFactory } from './api.js';

const HASHES = { md5, sha1, sha224, sha256, sha384, sha512, ripemd160 } as const;

export const portableHmac: HmacFactory = (algorithm, key) => {
  const h = hmac.create(HASHES[algorithm], key);
  return { update: (d) => { h.update(d); }, hexDigest: () => bytesToHex(h.digest()) };
};


/** The same tags as `hmacMacsNode`, in pure JS (@noble/hashes); runs in browsers. */
export const hmacMacsPortable: readonly PluginDescriptor<'mac'>[] = hmacDescriptors('portable', portableHmac);

/** `createHmacMac` with the portable backend only (this entry point never loads node:*). */
export const createHmacMac = hmacFactory({ portable: portableHmac }, 'portable');
