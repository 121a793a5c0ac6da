import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { IoError, UsageError, concatBytes } from '@qubes-backup/core';
import { decodeOne, encode, type Decoded, type Value } from './_msgpack.js';

/** Borg's own bound for one RPC message (`get_limited_unpacker('client')`): a 20 MiB chunk and its envelope. */
const MAX_MESSAGE = 100 << 20;
/** The client version sent in `negotiate`: the oldest whose dict protocol and named `open` arguments we use. */
const CLIENT_VERSION = [1, 2, 4];

/** An error `borg serve` returned for a call: its Python class name and its message. */
export class RemoteError extends Error {
  constructor(readonly exceptionClass: string, message: string) { super(message); }
}

interface Pending { resolve(v: Decoded): void; reject(e: Error): void }

/**
 * One `borg serve` process reached through the remote shell, spoken to as Borg 1.x's client does:
 * msgpack maps `{i: msgid, m: method, a: {args}}` on its stdin, `{i, r: result}` or `{i,
 * exception_class, exception_short, …}` on its stdout, calls pipelined and matched by msgid. Only
 * read-only methods are ever sent (negotiate, open with lock=False, load_key, get).
 */
export class BorgServe {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private msgid = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private needed = 1;
  private stderr = '';
  private ended: Error | undefined;
  /** Bytes received from the server: progress counts these. */
  received = 0;

  constructor(
    command: readonly string[], private readonly label: string, env: Readonly<Record<string, string | undefined>>,
    /** Called with the size of each piece received: the format asks objects by id, with no read to count them. */
    private readonly onReceived?: (n: number) => void,
  ) {
    this.child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env as NodeJS.ProcessEnv });
    this.child.stdout.on('data', (d: Buffer) => this.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    this.child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-8192); });
    this.child.stdin.on('error', () => undefined); // a dead server shows through 'exit'
    this.child.on('error', (e) => this.fail(new IoError(`cannot start '${command[0]}' to reach ${label}: ${e.message}`, { cause: e })));
    this.child.on('exit', (code, signal) => this.fail(new IoError(`${label}: the connection to borg serve closed (${signal ?? `exit ${code}`})${this.hint()}`)));
  }

  /** The server's last words on stderr (Borg logs as JSON lines there), for messages. */
  private hint(): string {
    const lines = this.stderr.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      try { const j = JSON.parse(l) as { message?: string }; return j.message ?? l; } catch { return l; }
    });
    return lines.length ? `: ${lines.slice(-2).join('; ')}` : '';
  }

  private fail(e: Error): void {
    if (this.ended) return;
    this.ended = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private onData(d: Uint8Array): void {
    this.received += d.length;
    this.onReceived?.(d.length);
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= this.needed) {
      const buf = this.chunks.length === 1 ? this.chunks[0]! : concatBytes(this.chunks);
      this.chunks = [buf];
      const r = decodeOne(buf, 0, MAX_MESSAGE);
      if ('needed' in r) { this.needed = r.needed; return; }
      const rest = buf.subarray(r.next);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.needed = 1;
      this.deliver(r.value);
    }
  }

  private deliver(msg: Decoded): void {
    if (!(msg instanceof Map) || typeof msg.get('i') !== 'number') {
      this.fail(new IoError(`${this.label}: borg serve sent something that is not an RPC answer (an old server's tuple format?)`));
      this.child.kill();
      return;
    }
    const p = this.pending.get(msg.get('i') as number);
    if (!p) return;
    this.pending.delete(msg.get('i') as number);
    const cls = msg.get('exception_class');
    if (cls instanceof Uint8Array) {
      const short = msg.get('exception_short');
      const text = Array.isArray(short) ? short.map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s))).join(' ').trim() : '';
      p.reject(new RemoteError(new TextDecoder().decode(cls), text));
    } else {
      p.resolve(msg.get('r') ?? null);
    }
  }

  /** One call; its answer or the server's error (`RemoteError`), or IoError when the connection ended. */
  call(method: string, args: { readonly [k: string]: Value }): Promise<Decoded> {
    if (this.ended) return Promise.reject(this.ended);
    const id = ++this.msgid;
    return new Promise<Decoded>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(encode({ i: id, m: method, a: args }));
    });
  }

  /** Ends the session: stdin closes, and borg serve closes the repository and exits. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(t);
  }

  /** `negotiate`, then `open` without a lock (nothing is written on the server): the repository's id. */
  async open(path: string): Promise<Uint8Array> {
    const v = await this.call('negotiate', { client_data: { client_version: CLIENT_VERSION } });
    if (!(v instanceof Map)) {
      throw new IoError(`${this.label}: borg serve speaks the pre-1.1 protocol; a Borg 1.1 or later server is needed`);
    }
    let id: Decoded;
    try {
      id = await this.call('open', { path, create: false, lock_wait: null, lock: false, exclusive: false, append_only: false, make_parent_dirs: false });
    } catch (e) {
      if (e instanceof RemoteError) {
        if (e.exceptionClass === 'PathNotAllowed') throw new UsageError(`${this.label}: the server does not allow this path (its borg serve has --restrict-to-path): ${e.message}`);
        if (e.exceptionClass === 'DoesNotExist' || e.exceptionClass === 'InvalidRepository') throw new IoError(`no Borg repository at ${this.label}: ${e.message}`);
        throw new IoError(`${this.label}: borg serve could not open the repository: ${e.exceptionClass}: ${e.message}`);
      }
      throw e;
    }
    if (!(id instanceof Uint8Array) || id.length !== 32) throw new IoError(`${this.label}: borg serve answered open without a repository id`);
    return id;
  }
}
