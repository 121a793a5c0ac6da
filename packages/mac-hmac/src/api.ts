import { UnsupportedError, UsageError, type Backend, type Mac, type PluginDescriptor } from '@qubes-backup/core';
import { HMAC_ALGORITHMS, HMAC_ALIASES, isHmacAlgorithm, type HmacAlgorithm } from './algorithms.js';
import { makeHmacMac, type HmacFactory } from './mac.js';

export interface HmacMacOptions {
  /** An openssl digest name, any case (`SHA512`, `sha512`, `rmd160`). */
  name: string;
  /** Default: `node` from `@qubes-backup/mac-hmac/node`, `portable` from the main entry point. */
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

/**
 * `createHmacMac` over the backends an entry point offers: the main one only the portable backend
 * (so a browser bundle never sees node:crypto), `./node` both.
 */
export function hmacFactory(backends: Partial<Record<Backend, HmacFactory>>, fallback: Backend) {
  /** The Mac for one digest, outside the registry. */
  return function createHmacMac({ name, backend = fallback }: HmacMacOptions): Mac {
    const alg = canonical(name);
    const f = backends[backend];
    if (!f) throw new UsageError(`the ${backend} backend is in @qubes-backup/mac-hmac/${backend}`);
    return makeHmacMac(alg, backend, f);
  };
}

/** The registry descriptors of every digest on one backend. */
export function hmacDescriptors(backend: Backend, factory: HmacFactory): readonly PluginDescriptor<'mac'>[] {
  return HMAC_ALGORITHMS.map((name) => {
    const aliases = HMAC_ALIASES[name];
    return { kind: 'mac', name, backend, ...(aliases ? { aliases } : {}), create: (): Mac => makeHmacMac(name, backend, factory) };
  });
}
