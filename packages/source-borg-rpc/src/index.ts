/**
 * @qubes-backup/source-borg-rpc: Borg repositories behind `ssh://[user@]host[:port]/path`, read
 * through Borg 1.x's own RPC to `borg serve`, as a `source` plugin.
 *
 * - **borg serve**: the program a Borg server runs for each client, often forced by a restricted
 *   key (`command="borg serve --append-only --restrict-to-path …"` in `authorized_keys`); such a
 *   key allows no SFTP, only this protocol.
 * - **RPC**: msgpack maps over the remote shell's stdin/stdout; only read-only calls are sent
 *   (`negotiate`, `open` without a lock, `load_key`, `get`), so an append-only key cannot be
 *   misused and nothing on the server changes.
 * - **Remote shell**: `ssh` (its own known_hosts and keys; `--identity FILE` adds `-i`), replaced by
 *   `--rsh CMD` or `BORG_RSH` as Borg does; `BORG_REMOTE_PATH` names the server's borg.
 *
 * The repository is given to the Borg format as a folder holding only `config` (id and repokey as
 * the server gave them) and an `objects.get(id)` the format asks instead of reading segments.
 */
import { IoError, UsageError, type DirectorySource, type FormatContext, type PluginDescriptor } from '@qubes-backup/core';
import { BorgServe, RemoteError } from './_rpc.js';

type SourceContext = Pick<FormatContext, 'settings' | 'host' | 'signal' | 'onProgress'>;

/** The `source` plugin for `ssh://` URLs (Borg repositories only); node only (it runs the remote shell). */
export const borgRpcSourcePlugin: PluginDescriptor<'source'> = {
  kind: 'source',
  name: 'ssh',
  backend: 'node',
  options: [
    { name: 'rsh', value: 'CMD', description: 'for ssh:// Borg repositories: the remote shell command instead of ssh (as BORG_RSH)' },
  ],
  create: (): ReturnType<PluginDescriptor<'source'>['create']> => ({
    info: { kind: 'source', name: 'ssh', backend: 'node' },
    async open(location: string, ctx: SourceContext) {
      const env = ctx.host?.env ?? {};
      const { command, path, label } = serveCommand(location, ctx.settings, env);
      const serve = new BorgServe(command, label, env, ctx.onProgress);
      try {
        const id = await serve.open(path);
        const key = await serve.call('load_key', {});
        // The repokey as the config holds it, over several lines: one line here (the format strips white space anyway).
        const text = key instanceof Uint8Array ? new TextDecoder().decode(key).replace(/\s+/g, '') : '';
        return { kind: 'directory', dir: servedRepository(serve, label, id, text) };
      } catch (e) {
        await serve.close();
        throw e;
      }
    },
  }),
};

/** The remote shell command that runs `borg serve` for `ssh://[user@]host[:port]/path`, as Borg builds it. */
export function serveCommand(
  location: string, settings: FormatContext['settings'], env: Readonly<Record<string, string | undefined>>,
): { command: string[]; path: string; label: string } {
  let url: URL;
  try { url = new URL(location); } catch { throw new UsageError(`'${location}' is not a valid URL`); }
  if (url.password !== '') throw new UsageError(`'${location.replace(/:[^:@/]*@/, ':…@')}': passwords in the URL are refused; use a key`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`'${location}': no host`);
  const user = decodeURIComponent(url.username);
  // ssh would take a leading '-' as an option (`-oProxyCommand=…` runs a local command), as git's CVE-2017-1000117.
  if (host.startsWith('-') || user.startsWith('-')) throw new UsageError(`'${location}': a user or host name starting with '-' is refused`);
  const rshSetting = settings['rsh'];
  const rsh = shellWords(typeof rshSetting === 'string' ? rshSetting : env['BORG_RSH'] ?? 'ssh');
  if (rsh.length === 0) throw new UsageError('--rsh is empty');
  const identity = settings['identity'];
  const command = [
    ...rsh,
    ...(typeof identity === 'string' && rsh.length === 1 && /(^|\/)ssh$/.test(rsh[0]!) ? ['-i', identity] : []),
    ...(url.port !== '' ? ['-p', url.port] : []),
    user ? `${user}@${host}` : host,
    ...shellWords(env['BORG_REMOTE_PATH'] ?? 'borg'), 'serve',
  ];
  const path = borgPath(location);
  return { command, path, label: `ssh://${user ? `${user}@` : ''}${url.host}${path}` };
}

/**
 * The repository path as borg sends it (`helpers/parseformat.py` normpath_special): from the URL as
 * written, since a URL parser drops `.` segments, and `/./repo` (relative to the server's working
 * folder, borg's own way to say it) must stay as it is; the rest normalized.
 */
function borgPath(location: string): string {
  const raw = decodeURIComponent(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(location)?.[1] ?? '');
  const relative = raw.startsWith('/./');
  const parts: string[] = [];
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop(); else parts.push(p);
  }
  return (relative ? '/./' : '/') + parts.join('/');
}

/** Words of a command line as a POSIX shell splits them (quotes and backslashes; no expansions). */
function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") { const j = s.indexOf("'", i + 1); if (j < 0) throw new UsageError(`unbalanced quote in '${s}'`); cur = (cur ?? '') + s.slice(i + 1, j); i = j; }
    else if (c === '"') {
      let j = i + 1;
      cur ??= '';
      for (; j < s.length && s[j] !== '"'; j++) cur += s[j] === '\\' && j + 1 < s.length ? s[++j] : s[j];
      if (j >= s.length) throw new UsageError(`unbalanced quote in '${s}'`);
      i = j;
    } else if (c === '\\' && i + 1 < s.length) cur = (cur ?? '') + s[++i];
    else if (/\s/.test(c)) { if (cur !== undefined) out.push(cur); cur = undefined; }
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The folder the Borg format reads: `config` made from what the server said (id, repokey), an empty
 * `data`, and `objects.get`, which the format asks for each object instead of reading segments.
 */
function servedRepository(serve: BorgServe, label: string, id: Uint8Array, key: string): DirectorySource & { readonly objects: { get(id: Uint8Array): Promise<Uint8Array | undefined> } } {
  const config = new TextEncoder().encode(`[repository]\nversion = 1\nsegments_per_dir = 1000\nid = ${hex(id)}\n${key ? `key = ${key}\n` : ''}`);
  return {
    name: label,
    async list(path) {
      if (path === '') return [{ name: 'config', type: 'file' }, { name: 'data', type: 'dir' }];
      if (path === 'data') return [];
      throw new IoError(`'${label}/${path}': borg serve gives objects, not files`);
    },
    async file(path) {
      if (path !== 'config') throw new IoError(`'${label}/${path}': borg serve gives objects, not files`);
      return {
        name: `${label}/config`, size: config.length, seekable: true,
        stream: () => (async function* one() { yield config; })(),
        read: async (offset: number, length: number) => config.slice(offset, offset + length),
      };
    },
    objects: {
      async get(object: Uint8Array) {
        try {
          const v = await serve.call('get', { id: object });
          if (!(v instanceof Uint8Array)) throw new IoError(`${label}: borg serve answered get without bytes`);
          return v;
        } catch (e) {
          if (e instanceof RemoteError && e.exceptionClass === 'ObjectNotFound') return undefined;
          if (e instanceof RemoteError) throw new IoError(`${label}: borg serve failed to get object ${hex(object)}: ${e.exceptionClass}: ${e.message}`);
          throw e;
        }
      },
    },
    close: () => serve.close(),
  };
}
