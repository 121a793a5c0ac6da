import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';
import { headerBool, headerVersion } from '@qubes-backup/qubes-common';

/** A validated format-2 `backup-header` (spec §3.1: R2 beta3 – rc, no `version` key). */
export interface V2Header {
  readonly version: 2;
  readonly encrypted: boolean;
  readonly compressed: boolean;
  /** openssl digest name for every `.hmac` (`SHA1` early, `SHA512` from Sept 2014). */
  readonly hmacAlgorithm: string;
  /** openssl cipher name (`aes-256-cbc`). */
  readonly cryptoAlgorithm: string | undefined;
}

const MEMBER = 'backup-header';

/** Checks the keys a format-2 header carries. A header without `version` is format 2 (A32's rule). */
export function validateV2Header(h: Map<string, string>): V2Header {
  const version = headerVersion(h);
  if (version !== undefined && version !== 2) {
    throw new UnsupportedError(`backup version ${version} is not format 2`, { member: MEMBER });
  }
  for (const key of ['encrypted', 'compressed', 'hmac-algorithm']) {
    if (!h.has(key)) throw new CorruptBackupError(`missing '${key}' in backup header`, { member: MEMBER });
  }
  const encrypted = headerBool(h.get('encrypted'));
  if (encrypted && !h.has('crypto-algorithm')) {
    throw new CorruptBackupError("missing 'crypto-algorithm' in backup header", { member: MEMBER });
  }
  const hmacAlgorithm = h.get('hmac-algorithm')!;
  if (hmacAlgorithm === '' || hmacAlgorithm.toLowerCase() === 'scrypt') {
    throw new UnsupportedError(`hmac-algorithm '${hmacAlgorithm}' is not an openssl digest`, { member: MEMBER });
  }
  return {
    version: 2, encrypted, compressed: headerBool(h.get('compressed')), hmacAlgorithm,
    cryptoAlgorithm: h.get('crypto-algorithm'),
  };
}
