import { UnsupportedError, type Backend, type Mac } from '@qubes-backup/core';
import { HMAC_ALGORITHMS, HMAC_ALIASES, isHmacAlgorithm, type HmacAlgorithm } from './algorithms.js';
import { makeHmacMac } from './mac.js';
import { nodeHmac } from './node.js';
import { portableHmac } from './portable.js';

export interface HmacMacOptions {
  /** An openssl digest name, any case (`SHA512`, `sha512`, `rmd160`). */
  name: string;
  /** Default `node`. */
  backend?: Backend;
}

function canonical(name: string): HmacAlgorithm {
  const n = name.toLowerCase();
  if (isHmacAlgorithm(n)) return n;
  for (const [alg, aliases] of Object.entries(HMAC_ALIASES) as [HmacAlgorithm, readonly string[]][]) {
    if (aliases.includes(n)) return alg;
  }
  throw new UnsupportedError(`no HMAC digest '${name}' (known: ${HMAC_ALGORITHMS.join(', ')})`);
}

/** The Mac for one digest, outside the registry. */
export function createHmacMac({ name, backend = 'node' }: HmacMacOptions): Mac {
  const alg = canonical(name);
  return makeHmacMac(alg, backend, backend === 'node' ? nodeHmac : portableHmac);
}
