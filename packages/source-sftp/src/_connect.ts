import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoError, UsageError } from '@qubes-backup/core';
import type { AnyAuthMethod, SFTPWrapper } from 'ssh2';
import { fingerprint, hostName, lookUp } from './_known-hosts.js';

type Ssh2 = typeof import('ssh2');
/** ssh2 is loaded by the first connection, not with the plugin: every command paid ~4 MiB of RSS for it. */
// ssh2 is CommonJS: its exports are the default export of the ES module.
const loadSsh2 = async (): Promise<Ssh2> => ((await import('ssh2')) as unknown as { default: Ssh2 }).default;

/** Where and as whom to connect, and how to trust the host. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** `--identity FILE`: tried before the default keys. */
  readonly identity?: string;
  /** `--accept-host-key SHA256:…`: the one host key to accept when known_hosts does not know the host. */
  readonly acceptHostKey?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Keys OpenSSH tries by default, in its order. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** A connection that has not finished its handshake by then is given up. */
const READY_TIMEOUT_MS = 20_000;

export interface Session {
  readonly sftp: SFTPWrapper;
  close(): Promise<void>;
}

/** The private keys to offer: `--identity` (which must exist), then `~/.ssh/id_*` that exist and are not encrypted. */
function keys(t: SshTarget, ssh2: Ssh2): { path: string; key: Buffer }[] {
  const out: { path: string; key: Buffer }[] = [];
  if (t.identity !== undefined) {
    try { out.push({ path: t.identity, key: readFileSync(t.identity) }); } catch (e) {
      throw new IoError(`cannot read --identity '${t.identity}': ${(e as Error).message}`, { cause: e });
    }
  }
  const home = t.env['HOME'];
  if (home) {
    for (const name of DEFAULT_KEYS) {
      const path = join(home, '.ssh', name);
      try { out.push({ path, key: readFileSync(path) }); } catch { /* absent: the next one */ }
    }
  }
  // An encrypted key would need its passphrase: ssh-agent holds such keys unlocked, so it is skipped here.
  return out.filter(({ key }) => {
    const parsed = ssh2.utils.parseKey(key);
    return !(parsed instanceof Error) && !/ENCRYPTED|aes\d+-ctr|bcrypt/.test(key.subarray(0, 400).toString('latin1'));
  });
}

/**
 * Connects and opens the SFTP subsystem. The host key must be in `~/.ssh/known_hosts` for this host
 * (and port), or be the one `--accept-host-key` names; otherwise the connection is refused before
 * any credential is sent, with the key's fingerprint in the message.
 */
export async function connect(t: SshTarget, signal?: AbortSignal): Promise<Session> {
  const ssh2 = await loadSsh2();
  const client = new ssh2.Client();
  const name = hostName(t.host, t.port);
  let refusal: Error | undefined;
  const knownHosts = (() => {
    const home = t.env['HOME'];
    try { return home ? readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8') : ''; } catch { return ''; }
  })();
  const verify = (key: Buffer): boolean => {
    const fp = fingerprint(key);
    const seen = lookUp(knownHosts, name, key);
    if (seen === 'known') return true;
    if (seen === 'revoked') { refusal = new IoError(`the host key of ${name} (${fp}) is marked @revoked in ~/.ssh/known_hosts`); return false; }
    if (seen === 'changed') {
      refusal = new IoError(`the host key of ${name} is not the one in ~/.ssh/known_hosts (now ${fp}): it changed, or someone is in the middle; ` +
        'check with the server\'s administrator before removing the old line');
      return false;
    }
    if (t.acceptHostKey !== undefined && t.acceptHostKey === fp) return true;
    refusal = new IoError(`the host key of ${name} is unknown (${fp}): check it with the server's administrator, then add it to ` +
      `~/.ssh/known_hosts or give --accept-host-key ${fp}` +
      (t.acceptHostKey !== undefined ? ` (--accept-host-key ${t.acceptHostKey} does not match)` : ''));
    return false;
  };
  const methods: AnyAuthMethod[] = [];
  const agent = t.env['SSH_AUTH_SOCK'];
  if (agent) methods.push({ type: 'agent', username: t.user, agent });
  for (const k of keys(t, ssh2)) methods.push({ type: 'publickey', username: t.user, key: k.key });
  if (methods.length === 0) {
    throw new UsageError(`no SSH key to log in to ${name} with: start ssh-agent with a key, put one in ~/.ssh/id_ed25519, or give --identity FILE`);
  }
  return new Promise<Session>((resolve, reject) => {
    const fail = (e: unknown) => { client.end(); reject(e); };
    const onAbort = () => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('error', (e: Error & { level?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      if (refusal) return fail(refusal);
      const why = e.level === 'client-authentication' ? `${t.user}@${name} refused every key offered` : e.message;
      fail(new IoError(`cannot connect to ${name}: ${why}`, { cause: e }));
    });
    client.on('ready', () => {
      client.sftp((err, sftp) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) return fail(new IoError(`${name}: the SFTP subsystem is not available: ${err.message}`, { cause: err }));
        resolve({
          sftp,
          close: () => new Promise<void>((done) => { client.once('close', () => done()); client.end(); }),
        });
      });
    });
    client.connect({
      host: t.host, port: t.port, username: t.user, readyTimeout: READY_TIMEOUT_MS,
      hostVerifier: verify,
      authHandler: methods,
    });
  });
}
