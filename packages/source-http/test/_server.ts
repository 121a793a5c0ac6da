// A real HTTP server for the tests, on 127.0.0.1 only: serves one file with or without Range
// support, counts the body bytes it sends, and can misbehave on purpose (cut connections, replace
// the file, want credentials). It stops when the test calls close() and never keeps the process alive.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface ServerOptions {
  /** Answer every request with the whole file (200), as a server without Range support does. */
  noRange?: boolean;
  /** Drop the connection each time this many more body bytes were sent (across requests). */
  cutEvery?: number;
  /** Stop cutting after this many cuts (a server without ranges must send the whole file once). */
  maxCuts?: number;
  /** After this many body bytes were sent, serve `replacement` instead (a new ETag and date). */
  replaceAfter?: number;
  replacement?: Uint8Array;
  /** Send no ETag, only Last-Modified. */
  noEtag?: boolean;
  /** The Authorization header every request must carry (else 401). */
  authorization?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Store the file gzipped and serve that (Content-Encoding: gzip), ranges of it, as nginx's gzip_static does. */
  gzipStatic?: boolean;
  /** Answer the first `count` requests 503 with this Retry-After, as a busy server does. */
  busy?: { count: number; retryAfter: string };
}

export interface TestServer {
  readonly url: string;
  /** Body bytes sent so far. */
  readonly served: number;
  readonly requests: number;
  close(): Promise<void>;
}

const PIECE = 16 << 10;

export async function serve(data: Uint8Array, o: ServerOptions = {}): Promise<TestServer> {
  let current = data;
  let version = 1;
  let served = 0;
  let requests = 0;
  let nextCut = o.cutEvery ?? Infinity;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const etag = () => `"${createHash('sha256').update(current).digest('hex').slice(0, 16)}"`;
  const modified = () => new Date(Date.UTC(2026, 0, version)).toUTCString();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    if (o.busy && requests <= o.busy.count) {
      res.writeHead(503, { 'retry-after': o.busy.retryAfter }).end();
      return;
    }
    if (o.authorization !== undefined && req.headers.authorization !== o.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    if (o.replaceAfter !== undefined && served >= o.replaceAfter && current === data) { current = o.replacement!; version++; }
    const body = o.gzipStatic ? gzipSync(current) : current;
    const headers: Record<string, string> = { 'last-modified': modified(), 'content-type': 'application/octet-stream', ...(o.gzipStatic ? { 'content-encoding': 'gzip' } : {}) };
    if (!o.noEtag) headers['etag'] = etag();
    let start = 0;
    let end = body.length - 1;
    const m = o.noRange ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      if (start >= body.length) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end(); return; }
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    }
    let pos = start;
    // Written piece by piece with backpressure, so a client that stops reading stops the count.
    const pump = () => {
      while (pos <= end) {
        let n = Math.min(PIECE, end - pos + 1);
        if (served + n >= nextCut) {
          n = nextCut - served;
          if (n > 0) res.write(body.subarray(pos, pos + n));
          served += Math.max(n, 0);
          nextCut = ++cuts >= (o.maxCuts ?? Infinity) ? Infinity : nextCut + o.cutEvery!;
          res.socket?.destroy();
          return;
        }
        const ok = res.write(body.subarray(pos, pos + n));
        served += n;
        pos += n;
        if (!ok) { res.once('drain', pump); return; }
      }
      res.end();
    };
    res.on('close', () => res.removeListener('drain', pump));
    pump();
  };

  const server = o.tls ? createTlsServer({ key: o.tls.key, cert: o.tls.cert }, handler) : createServer(handler);
  server.on(o.tls ? 'secureConnection' : 'connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}/backup.bin`,
    get served() { return served; },
    get requests() { return requests; },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
