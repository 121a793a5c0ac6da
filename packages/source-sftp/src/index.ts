/**
 * @qubes-backup/source-sftp: backups on an SSH server, as a `source` plugin for
 * `sftp://[user@]host[:port]/path` (the ssh2 package; no `ssh` binary needed).
 *
 * - **File**: a Qubes backup (or any single-file backup) becomes a seekable source: `info` reads its
 *   first bytes, `extract --vm` that VM's members.
 * - **Folder**: a Borg repository becomes a directory source; the format reads its index first and
 *   then only the segment ranges it needs, as on a local disk.
 * - **Trust**: the host key must be in `~/.ssh/known_hosts` (hashed names understood) or be the one
 *   `--accept-host-key SHA256:…` names; otherwise nothing is sent and the error shows the key's
 *   fingerprint. Keys: ssh-agent (`SSH_AUTH_SOCK`), `--identity FILE`, `~/.ssh/id_{ed25519,ecdsa,rsa}`.
 *   A path starting `/~/` is relative to the login's home folder.
 */
import { IoError, UsageError, type FormatContext, type PluginDescriptor } from '@qubes-backup/core';
import type { Stats } from 'ssh2';
import { connect } from './_connect.js';
import { sftpFile, sftpFolder } from './sftp-source.js';

export { fingerprint } from './_known-hosts.js';

type SourceContext = Pick<FormatContext, 'settings' | 'host' | 'signal'>;

/** The `source` plugin for `sftp://` URLs; node only (ssh2 uses node:net and node:crypto). */
export const sftpSourcePlugin: PluginDescriptor<'source'> = {
  kind: 'source',
  name: 'sftp',
  backend: 'node',
  options: [
    { name: 'identity', value: 'FILE', description: 'for sftp:// and ssh:// backups: a private key to log in with (before ssh-agent and ~/.ssh/id_*)' },
    { name: 'accept-host-key', value: 'SHA256:…', description: 'for sftp:// and ssh:// backups: trust this host key when ~/.ssh/known_hosts does not know the host' },
  ],
  create: (): ReturnType<PluginDescriptor<'source'>['create']> => ({
    info: { kind: 'source', name: 'sftp', backend: 'node' },
    async open(location: string, ctx: SourceContext) {
      const t = parseSshUrl(location, ctx);
      const session = await connect(t, ctx.signal);
      const label = `sftp://${t.user}@${t.host.includes(':') ? `[${t.host}]` : t.host}${t.port === 22 ? '' : `:${t.port}`}${t.path.startsWith('/') ? '' : '/~/'}${t.path}`;
      let st: Stats;
      try {
        st = await new Promise<Stats>((resolve, reject) => session.sftp.stat(t.path, (e, s) => (e ? reject(e) : resolve(s))));
      } catch (e) {
        await session.close();
        const missing = (e as { code?: number }).code === 2;
        throw new IoError(missing ? `no such file or folder: '${label}'` : `cannot read '${label}': ${(e as Error).message}`, { cause: e });
      }
      if (st.isDirectory()) return { kind: 'directory', dir: sftpFolder(session, t.path, label) };
      return { kind: 'file', source: await sftpFile(session, t.path, label, true) };
    },
  }),
};

/** `[user@]host[:port]/path` of an `sftp://` or `ssh://` URL, with the user from the environment when absent. */
export function parseSshUrl(location: string, ctx: SourceContext): { host: string; port: number; user: string; path: string; identity?: string; acceptHostKey?: string; env: Readonly<Record<string, string | undefined>> } {
  let url: URL;
  try { url = new URL(location); } catch { throw new UsageError(`'${location}' is not a valid URL`); }
  if (url.password !== '') throw new UsageError(`'${location.replace(/:[^:@/]*@/, ':…@')}': passwords in the URL are refused (they show in the process list); use a key`);
  const env = ctx.host?.env ?? {};
  const user = decodeURIComponent(url.username) || env['USER'] || env['LOGNAME'];
  if (!user) throw new UsageError(`'${location}': no user name (write user@host, or set USER)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`'${location}': no host`);
  const port = url.port === '' ? 22 : Number(url.port);
  // As written: a URL parser drops `.` segments, and `/./x` is borg's way to say `x` in the home folder.
  const raw = decodeURIComponent(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(location)?.[1] ?? '');
  // `/~/x` (as scp and sftp take it) and `/./x` are `x` in the home folder; anything else is absolute.
  const home = /^\/[~.](\/|$)/.exec(raw);
  const path = home ? raw.slice(home[0].length) || '.' : raw || '/';
  const identity = ctx.settings['identity'];
  const accept = ctx.settings['accept-host-key'];
  return {
    host, port, user, path, env,
    ...(typeof identity === 'string' ? { identity } : {}),
    ...(typeof accept === 'string' ? { acceptHostKey: accept } : {}),
  };
}
