import type { ServerHostKeyAlgorithm } from 'ssh2';
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
  for (const { marker, data } of linesFor(text, name)) {
    if (marker === '@revoked') { if (data === blob) return 'revoked'; continue; }
    seen = true;
    if (data === blob) return 'known';
  }
  return seen ? 'changed' : 'unknown';
}

/**
 * The host key algorithms to ask the server for: those of the keys `known_hosts` holds for the host,
 * as OpenSSH prefers them. Left to itself the server may show another of its keys (ed25519 where
 * only its ECDSA key is known), which would look like a changed key. Empty: nothing known, any.
 */
export function knownKeyAlgorithms(text: string, name: string): ServerHostKeyAlgorithm[] {
  const out = new Set<ServerHostKeyAlgorithm>();
  for (const { marker, type } of linesFor(text, name)) {
    if (marker === '@revoked') continue;
    for (const a of type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]) if (isSpoken(a)) out.add(a);
  }
  return [...out];
}

/** Host key algorithms ssh2 speaks. */
const HOST_KEY_ALGORITHMS: ReadonlySet<string> = new Set<ServerHostKeyAlgorithm>(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
const isSpoken = (a: string): a is ServerHostKeyAlgorithm => HOST_KEY_ALGORITHMS.has(a);

/** The lines of `known_hosts` that name the host (`@cert-authority` ones left out). */
function* linesFor(text: string, name: string): Iterable<{ marker?: string; type: string; data: string }> {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, type, data] = fields;
    if (hosts === undefined || type === undefined || data === undefined || marker === '@cert-authority') continue;
    if (!hosts.split(',').some((h) => matches(h, name))) continue;
    yield { ...(marker !== undefined ? { marker } : {}), type, data };
  }
}

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}
