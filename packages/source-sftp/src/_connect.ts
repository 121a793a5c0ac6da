import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoError, UsageError } from '@qubes-backup/core';
import type { AnyAuthMethod, SFTPWrapper } from 'ssh2';
import { fingerprint, hostName, knownKeyAlgorithms, lookUp } from './_known-hosts.js';

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
/** Keepalives every 15 s; three unanswered end the connection. */
const KEEPALIVE_MS = 15_000;

export interface Session {
  readonly sftp: SFTPWrapper;
  close(): Promise<void>;
}

/** The default private keys `~/.ssh/id_*` that exist and can be used. */
function defaultKeys(t: SshTarget, ssh2: Ssh2): Buffer[] {
  const out: Buffer[] = [];
  const home = t.env['HOME'];
  for (const name of home ? DEFAULT_KEYS : []) {
    try { out.push(readFileSync(join(home!, '.ssh', name))); } catch { /* absent: the next one */ }
  }
  return out.filter((key) => usable(key, ssh2));
}

/** `--identity FILE`: it must exist and be usable, else say why (it was dropped without a word). */
function identityKey(path: string, ssh2: Ssh2): Buffer {
  let key: Buffer;
  try { key = readFileSync(path); } catch (e) {
    throw new IoError(`cannot read --identity '${path}': ${(e as Error).message}`, { cause: e });
  }
  if (!usable(key, ssh2)) throw new UsageError(`--identity '${path}' is not a private key this can use unlocked (an encrypted key: add it to ssh-agent instead)`);
  return key;
}

/** A private key ssh2 reads and that needs no passphrase (ssh-agent holds encrypted keys unlocked). */
function usable(key: Buffer, ssh2: Ssh2): boolean {
  return !(ssh2.utils.parseKey(key) instanceof Error) && !/ENCRYPTED|aes\d+-ctr|bcrypt/.test(key.subarray(0, 400).toString('latin1'));
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
  // `--identity` first, as its help says: a server allows a few attempts, and an agent holding many
  // keys used them up before it was tried.
  const methods: AnyAuthMethod[] = [];
  if (t.identity !== undefined) methods.push({ type: 'publickey', username: t.user, key: identityKey(t.identity, ssh2) });
  const agent = t.env['SSH_AUTH_SOCK'];
  if (agent) methods.push({ type: 'agent', username: t.user, agent });
  for (const key of defaultKeys(t, ssh2)) methods.push({ type: 'publickey', username: t.user, key });
  if (methods.length === 0) {
    throw new UsageError(`no SSH key to log in to ${name} with: start ssh-agent with a key, put one in ~/.ssh/id_ed25519, or give --identity FILE`);
  }
  let closed = false;
  client.on('close', () => { closed = true; });
  const algorithms = knownKeyAlgorithms(knownHosts, name);
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
          // At once when the connection is already gone (a dropped connection had closed it, and
          // waiting for a 'close' that came before left the process without work: exit 13, no word).
          close: () => new Promise<void>((done) => { if (closed) done(); else { client.once('close', () => done()); client.end(); } }),
        });
      });
    });
    client.connect({
      host: t.host, port: t.port, username: t.user, readyTimeout: READY_TIMEOUT_MS,
      // A server that stops answering is given up after ~45 s, not waited on for ever.
      keepaliveInterval: KEEPALIVE_MS, keepaliveCountMax: 3,
      ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms } } : {}),
      hostVerifier: verify,
      authHandler: methods,
    });
  });
}
