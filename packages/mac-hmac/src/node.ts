import { createHmac } from 'node:crypto';
import type { Mac, PluginDescriptor } from '@qubes-backup/core';
import { HMAC_ALGORITHMS, HMAC_ALIASES, type HmacAlgorithm } from './algorithms.js';
import { makeHmacMac, type HmacFactory } from './mac.js';
import { hmacFactory } from './api.js';
import { portableHmac } from './portable.js';

export const nodeHmac: HmacFactory = (algorithm, key) => {
  const h = createHmac(algorithm, key);
  return { update: (d) => { h.update(d); }, hexDigest: () => h.digest('hex') };
};

function descriptor(name: HmacAlgorithm): PluginDescriptor<'mac'> {
  const aliases = HMAC_ALIASES[name];
  return {
    kind: 'mac', name, backend: 'node', ...(aliases ? { aliases } : {}),
    create: (): Mac => makeHmacMac(name, 'node', nodeHmac),
  };
}

/** `openssl dgst -hmac` tags for md5, sha1, sha224, sha256, sha384, sha512, ripemd160 (node:crypto). */
export const hmacMacsNode: readonly PluginDescriptor<'mac'>[] = HMAC_ALGORITHMS.map(descriptor);

/** `createHmacMac` with both backends, `node` by default. */
export const createHmacMac = hmacFactory({ node: nodeHmac, portable: portableHmac }, 'node');
