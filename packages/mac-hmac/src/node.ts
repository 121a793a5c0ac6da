import { createHmac } from 'node:crypto';
import type { PluginDescriptor } from '@qubes-backup/core';
import type { HmacFactory } from './mac.js';
import { hmacDescriptors, hmacFactory } from './api.js';
import { portableHmac } from './portable.js';

export const nodeHmac: HmacFactory = (algorithm, key) => {
  const h = createHmac(algorithm, key);
  return { update: (d) => { h.update(d); }, hexDigest: () => h.digest('hex') };
};


/** `openssl dgst -hmac` tags for md5, sha1, sha224, sha256, sha384, sha512, ripemd160 (node:crypto). */
export const hmacMacsNode: readonly PluginDescriptor<'mac'>[] = hmacDescriptors('node', nodeHmac);

/** `createHmacMac` with both backends, `node` by default. */
export const createHmacMac = hmacFactory({ node: nodeHmac, portable: portableHmac }, 'node');
