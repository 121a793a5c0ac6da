import { IoError, UsageError, type ReadOptions } from '@qubes-backup/core';

/**
 * One remote file as the first response described it. Every later response must carry the same
 * validator and length: a file replaced on the server between two ranges would otherwise give an
 * image made of two files, which no MAC of an unauthenticated format (Wyng's data, format 1) sees.
 */
export interface Remote {
  readonly url: string;
  /** The URL as messages and listings show it: without its query's values (a presigned URL's signature is a credential). */
  readonly label: string;
  /** Authorization (from the environment or a file), and `Accept-Encoding: identity`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Total length; undefined when a server without Range support did not say. */
  size?: number;
  etag?: string;
  lastModified?: string;
  /** Bytes received from the network so far, for every request of this file. */
  transferred: number;
}

/** How often one range is asked for again after its connection failed without delivering a byte. */
export const MAX_ATTEMPTS = 6;
/** First wait before a retry; doubled on each failure in a row, up to `MAX_BACKOFF_MS`. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** A connection that delivers nothing for this long is dropped and the range asked for again. */
const STALL_MS = 30_000;

/** `url` without its query's values: `https://h/b?X-Amz-Signature=…` (they may be credentials, and messages end up in logs). */
export function shownUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  return `${url.slice(0, q)}?${query.split('&').map((kv) => kv.replace(/=.*$/s, '=…')).join('&')}`;
}

/** The longest `Retry-After` waited for: a server asking for more is given up on (the next attempt's error says why). */
const MAX_RETRY_AFTER_MS = 60_000;

/** A busy server's answer (429, 503, ...), with the wait its `Retry-After` asked for. */
class Busy extends IoError {
  constructor(message: string, readonly retryAfterMs: number | undefined) { super(message); }
}

/** `Retry-After` in ms: seconds, or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function retryAfter(v: string | null): number | undefined {
  if (v === null) return undefined;
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/**
 * Waits before attempt `failures + 1`: 100 ms doubling up to 5 s, or what a busy server's
 * `Retry-After` asked for (up to a minute).
 */
function backoff(failures: number, e: unknown, signal?: AbortSignal): Promise<void> {
  const asked = e instanceof Busy ? e.retryAfterMs : undefined;
  const ms = Math.max(Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS), Math.min(asked ?? 0, MAX_RETRY_AFTER_MS));
  return sleep(ms, signal);
}

/**
 * `attempt` until it succeeds, at most MAX_ATTEMPTS times, waiting between (see `backoff`); a
 * Final error ends it at once, as its own error.
 */
export async function retrying<T>(what: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (e) {
      if (e instanceof Final) throw e.error;
      if (signal?.aborted) throw signal.reason;
      if (failures >= MAX_ATTEMPTS) throw new IoError(`${what} failed after ${MAX_ATTEMPTS} attempts: ${causeOf(e)}`, { cause: e });
      await backoff(failures, e, signal);
    }
  }
}

/** A failure that asking again cannot fix (the file changed, a 404, a 401): not retried. */
export class Final extends Error {
  constructor(readonly error: Error) { super(error.message); }
}

/** The library error a Final carries; other errors as they are. */
export function unwrap(e: unknown): unknown {
  return e instanceof Final ? e.error : e;
}

/** The error for a file whose validator or length differs from the first response's. */
function changed(remote: Remote, what: string): Final {
  return new Final(new IoError(`'${remote.label}' changed on the server while it was being read (${what}); nothing read after the change was used: run again`));
}

/** Checks a response against what the first one said (validators, total length, the range start). */
export function checkResponse(remote: Remote, res: Response, start: number): void {
  const etag = res.headers.get('etag') ?? undefined;
  const lastModified = res.headers.get('last-modified') ?? undefined;
  if (remote.etag !== undefined && etag !== remote.etag) throw changed(remote, `ETag ${remote.etag} became ${etag ?? 'absent'}`);
  if (remote.etag === undefined && remote.lastModified !== undefined && lastModified !== remote.lastModified) {
    throw changed(remote, `Last-Modified '${remote.lastModified}' became '${lastModified ?? 'absent'}'`);
  }
  if (res.status === 206) {
    // A range of a compressed representation (a server that stores the file gzipped, nginx's
    // gzip_static) is not a range of the file: fetch would decompress a slice cut from the middle of
    // a gzip stream. Asked with Accept-Encoding: identity, a server should not; one that does is refused.
    const encoding = res.headers.get('content-encoding');
    if (encoding !== null && !/^\s*identity\s*$/i.test(encoding)) {
      throw new Final(new IoError(`'${remote.label}': the server sends byte ranges of a compressed form (Content-Encoding: ${encoding}), not of the file; turn that compression off for it on the server`));
    }
    const range = parseContentRange(res.headers.get('content-range'));
    if (!range) throw new Final(new IoError(`'${remote.label}': the server answered a range request without a valid Content-Range`));
    if (remote.size !== undefined && range.total !== remote.size) throw changed(remote, `length ${remote.size} became ${range.total}`);
    if (range.start !== start) throw new Final(new IoError(`'${remote.label}': asked for bytes from ${start}, the server sent from ${range.start}`));
  }
}

/** `bytes START-END/TOTAL` (TOTAL may not be `*` here: the length must be known to seek). */
export function parseContentRange(v: string | null): { start: number; end: number; total: number } | undefined {
  const m = v === null ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) return undefined;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return Number.isSafeInteger(total) && start <= end && end < total ? { start, end, total } : undefined;
}

/** Statuses worth asking again for: the server or a proxy on the way is busy or failing for now. */
const RETRIED = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * One GET, with the response's status checked: 2xx, else an error (retried for 5xx/429, final for
 * 4xx, the file having changed for 412).
 */
export async function get(remote: Remote, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(remote.url, { headers: { ...remote.headers, ...headers }, signal, redirect: 'follow' });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw new IoError(`cannot reach '${remote.label}': ${causeOf(e)}`, { cause: e });
  }
  // A redirect may not leave https: the bytes (and what the URL says) would travel unprotected.
  if (/^https:/i.test(remote.url) && !/^https:/i.test(res.url)) {
    await res.body?.cancel().catch(() => undefined);
    throw new Final(new IoError(`'${remote.label}': the server redirected to '${shownUrl(res.url)}', which is not https: refused`));
  }
  if (res.ok) return res;
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 412) throw changed(remote, 'its ETag no longer matches');
  const message = `'${remote.label}': the server answered ${res.status} ${res.statusText}${res.status === 401 || res.status === 403 ? authHint() : ''}`;
  throw RETRIED.has(res.status) ? new Busy(message, retryAfter(res.headers.get('retry-after'))) : new Final(new IoError(message));
}

function authHint(): string {
  return ' (set QUBES_BACKUP_HTTP_TOKEN, or QUBES_BACKUP_HTTP_USER and QUBES_BACKUP_HTTP_PASSWORD, or --http-auth-file FILE)';
}

/** What went wrong, from fetch's wrapped "fetch failed" down to the socket's reason. */
function causeOf(e: unknown): string {
  // By shape, not instanceof: fetch's errors may come from another realm (a VM context).
  const c = (e as { cause?: { message?: unknown } }).cause;
  return typeof c?.message === 'string' ? `${(e as Error).message}: ${c.message}` : (e as Error).message;
}

/**
 * Reads bytes `[start, end)` of the file (`end` undefined: to the end), handing each piece to `take`
 * as it arrives. A connection that drops or stalls is asked again from the first byte not yet
 * received, after a wait that doubles with each failure in a row (a failure after progress starts
 * the count again, so a server that cuts every few MiB still gets through).
 */
export async function fetchRange(
  remote: Remote, start: number, end: number | undefined, take: (piece: Uint8Array) => void, opts?: ReadOptions,
): Promise<void> {
  let pos = start;
  let failures = 0;
  for (;;) {
    opts?.signal?.throwIfAborted();
    if (end !== undefined && pos >= end) return;
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(opts?.signal?.reason);
    opts?.signal?.addEventListener('abort', onAbort, { once: true });
    let stall: ReturnType<typeof setTimeout> | undefined;
    const arm = () => { clearTimeout(stall); stall = setTimeout(() => ctl.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS); };
    const before = pos;
    try {
      arm();
      const headers: Record<string, string> = { range: `bytes=${pos}-${end === undefined ? '' : end - 1}` };
      if (remote.etag !== undefined && !remote.etag.startsWith('W/')) headers['if-match'] = remote.etag;
      const res = await get(remote, headers, ctl.signal);
      if (res.status !== 206) {
        await res.body?.cancel().catch(() => undefined);
        throw new Final(new IoError(`'${remote.label}': the server stopped honouring range requests (status ${res.status})`));
      }
      checkResponse(remote, res, pos);
      const reader = res.body!.getReader();
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          arm();
          const room = end === undefined ? r.value.length : Math.min(r.value.length, end - pos);
          remote.transferred += r.value.length;
          opts?.onProgress?.(r.value.length);
          if (room > 0) take(room === r.value.length ? r.value : r.value.subarray(0, room));
          pos += Math.max(room, 0);
          if (end !== undefined && pos >= end) break;
        }
      } finally {
        reader.cancel().catch(() => undefined);
      }
      if (end === undefined && remote.size !== undefined && pos < remote.size) throw new Error(`the connection closed at byte ${pos} of ${remote.size}`);
      if (end !== undefined && pos < end) throw new Error(`the connection closed at byte ${pos}, before byte ${end}`);
      return;
    } catch (e) {
      if (e instanceof Final) throw e.error;
      if (opts?.signal?.aborted) throw opts.signal.reason;
      failures = pos > before ? 1 : failures + 1;
      if (failures >= MAX_ATTEMPTS) {
        throw new IoError(`reading '${remote.label}' failed at byte ${pos} after ${MAX_ATTEMPTS} attempts: ${causeOf(e)}`, { cause: e });
      }
      await backoff(failures, e, opts?.signal);
    } finally {
      clearTimeout(stall);
      opts?.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', stop); resolve(); }, ms);
    const stop = () => { clearTimeout(t); reject(signal!.reason as Error); };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** The headers every request carries: credentials, and no transfer compression (ranges are of the stored bytes). */
export function requestHeaders(authorization: string | undefined): Record<string, string> {
  return { 'accept-encoding': 'identity', ...(authorization !== undefined ? { authorization } : {}) };
}

/** Refuses what would weaken TLS or leak credentials, before anything is sent. */
export function checkUrl(url: URL, env: Readonly<Record<string, string | undefined>>): void {
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`'${url.protocol}//${url.host}${url.pathname}': credentials in the URL are refused (they show in the process list ` +
      'and shell history); set QUBES_BACKUP_HTTP_USER and QUBES_BACKUP_HTTP_PASSWORD, or QUBES_BACKUP_HTTP_TOKEN, or use --http-auth-file FILE');
  }
  if (url.protocol === 'https:' && env['NODE_TLS_REJECT_UNAUTHORIZED'] === '0') {
    throw new UsageError('NODE_TLS_REJECT_UNAUTHORIZED=0 would turn off TLS certificate checks: unset it (certificates are always verified)');
  }
}
