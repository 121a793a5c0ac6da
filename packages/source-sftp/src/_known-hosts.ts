import { createHash, createHmac } from 'node:crypto';

/** OpenSSH's fingerprint of a host key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function fingerprint(key: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** How `known_hosts` names a host: `host`, or `[host]:port` off port 22. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * What `known_hosts` says of a host's key: `known` (a line for the host has this key), `changed`
 * (lines for the host exist, none with this key: a possible man in the middle), or `unknown`.
 * Hashed names (`|1|salt|hmac`, HashKnownHosts yes) and comma lists are understood; `@revoked`
 * lines refuse the key; `@cert-authority` lines and wildcard patterns are not used.
 */
export function lookUp(text: string, name: string, key: Uint8Array): 'known' | 'changed' | 'unknown' | 'revoked' {
  const blob = Buffer.from(key).toString('base64');
  let seen = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , data] = fields;
    if (hosts === undefined || data === undefined || marker === '@cert-authority') continue;
    if (!hosts.split(',').some((h) => matches(h, name))) continue;
    if (marker === '@revoked') { if (data === blob) return 'revoked'; continue; }
    seen = true;
    if (data === blob) return 'known';
  }
  return seen ? 'changed' : 'unknown';
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}
