import { CorruptBackupError, UnsupportedError } from '@qubes-backup/core';
import { headerBool, headerVersion } from '@qubes-backup/qubes-common';

/** A validated format-3 `backup-header` (spec §3.1, §3.2). */
export interface V3Header {
  readonly version: 3;
  readonly encrypted: boolean;
  readonly compressed: boolean;
  /** Present only when compressed (R3.2 writes it only then). */
  readonly compressionFilter: string | undefined;
  /** openssl digest name for every `.hmac` (`SHA512`, `SHA256`, ...). */
  readonly hmacAlgorithm: string;
  /** openssl cipher name (`aes-256-cbc`); R3.2 writes it even when not encrypted. */
  readonly cryptoAlgorithm: string | undefined;
}

const MEMBER = 'backup-header';

/** Checks the keys format 3 requires, as the reference's `validate()` does. */
export function validateV3Header(h: Map<string, string>): V3Header {
  const version = headerVersion(h);
  if (version !== 3) throw new UnsupportedError(`backup version ${version ?? 'none'} is not format 3`, { member: MEMBER });
  for (const key of ['encrypted', 'compressed', 'hmac-algorithm']) {
    if (!h.has(key)) throw new CorruptBackupError(`missing '${key}' in backup header`, { member: MEMBER });
  }
  const encrypted = headerBool(h.get('encrypted'));
  const compressed = headerBool(h.get('compressed'));
  const compressionFilter = h.get('compression-filter');
  if (encrypted && !h.has('crypto-algorithm')) {
    throw new CorruptBackupError("missing 'crypto-algorithm' in backup header", { member: MEMBER });
  }
  if (compressed && compressionFilter === undefined) {
    throw new CorruptBackupError("missing 'compression-filter' in backup header", { member: MEMBER });
  }
  const hmacAlgorithm = h.get('hmac-algorithm')!;
  // scrypt authenticates format 4 chunks by decryption; a format 3 chunk has a `.hmac` digest.
  if (hmacAlgorithm === '' || hmacAlgorithm.toLowerCase() === 'scrypt') {
    throw new UnsupportedError(`hmac-algorithm '${hmacAlgorithm}' is not an openssl digest`, { member: MEMBER });
  }
  return { version: 3, encrypted, compressed, compressionFilter, hmacAlgorithm, cryptoAlgorithm: h.get('crypto-algorithm') };
}
