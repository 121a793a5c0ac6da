/**
 * @qubes-backup/source-http: backups behind `http://` and `https://` URLs, as a `source` plugin.
 *
 * - **Range**: a part of the file asked for by byte offsets (`Range: bytes=a-b`). A server that
 *   takes them gives a seekable source, so `info` reads the first 64 KiB and `extract --vm` only
 *   that VM's members; one that does not is read once from the start, like a pipe.
 * - **Validator**: the ETag (else Last-Modified) and length of the first answer; every later answer
 *   must carry the same, or the read fails naming the URL (the file changed under the restore).
 * - **Credentials** come from the environment (`QUBES_BACKUP_HTTP_TOKEN`, or
 *   `QUBES_BACKUP_HTTP_USER` + `QUBES_BACKUP_HTTP_PASSWORD`) or a file (`--http-auth-file`), never
 *   from the URL or the command line. TLS certificates are always verified.
 */
import { IoError, UsageError, type FormatContext, type PluginDescriptor } from '@qubes-backup/core';
import { checkUrl, requestHeaders } from './_fetch.js';
import { httpSource } from './http-source.js';

export { httpSource, type HttpSourceOptions } from './http-source.js';

type SourceContext = Pick<FormatContext, 'settings' | 'host' | 'signal'>;

/** The `source` plugin for `http://` and `https://` (name `http`, alias `https`); portable: it needs only `fetch`. */
export const httpSourcePlugin: PluginDescriptor<'source'> = {
  kind: 'source',
  name: 'http',
  aliases: ['https'],
  backend: 'portable',
  options: [{
    name: 'http-auth-file', value: 'FILE',
    description: 'for http(s):// backups: a file holding "Bearer TOKEN" or "user:password" (rather than QUBES_BACKUP_HTTP_* variables)',
  }],
  create: (): ReturnType<PluginDescriptor<'source'>['create']> => ({
    info: { kind: 'source', name: 'http', aliases: ['https'], backend: 'portable' },
    async open(location: string, ctx: SourceContext) {
      let url: URL;
      try { url = new URL(location); } catch { throw new UsageError(`'${location}' is not a valid URL`); }
      const env = ctx.host?.env ?? {};
      checkUrl(url, env);
      const authorization = await credentials(ctx);
      const source = await httpSource(url.href, requestHeaders(authorization), ctx.signal ? { signal: ctx.signal } : {});
      return { kind: 'file', source };
    },
  }),
};

/**
 * The `Authorization` value: from `--http-auth-file` (read through the host, so the plugin stays
 * portable), else the environment. A file holds `Bearer TOKEN` (or a bare token) or `user:password`.
 */
async function credentials(ctx: SourceContext): Promise<string | undefined> {
  const env = ctx.host?.env ?? {};
  const file = ctx.settings['http-auth-file'] ?? env['QUBES_BACKUP_HTTP_AUTH_FILE'];
  if (typeof file === 'string' && file !== '') {
    if (!ctx.host) throw new UsageError('--http-auth-file needs a file system (not in a browser)');
    const at = file.lastIndexOf('/');
    const text = await ctx.host.folder(at < 0 ? '.' : file.slice(0, at) || '/').readSmall?.(file.slice(at + 1), 64 << 10);
    if (text === undefined) throw new IoError(`no such file: '${file}' (--http-auth-file)`);
    const line = new TextDecoder().decode(text).split(/\r?\n/)[0]!.trim();
    if (line === '') throw new UsageError(`'${file}' is empty (--http-auth-file wants "Bearer TOKEN" or "user:password")`);
    if (/^bearer\s+/i.test(line)) return `Bearer ${line.replace(/^bearer\s+/i, '')}`;
    return line.includes(':') ? basic(line) : `Bearer ${line}`;
  }
  const token = env['QUBES_BACKUP_HTTP_TOKEN'];
  if (token) return `Bearer ${token}`;
  const user = env['QUBES_BACKUP_HTTP_USER'];
  if (user) return basic(`${user}:${env['QUBES_BACKUP_HTTP_PASSWORD'] ?? ''}`);
  return undefined;
}

/** RFC 7617 Basic credentials (UTF-8). */
function basic(userPass: string): string {
  const bytes = new TextEncoder().encode(userPass);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}
