import type { ByteSource, Cipher, Container, Member } from '@qubes-backup/core';
import { parseChunkName } from '@qubes-backup/qubes-common';

type PreparedDecryption = Awaited<ReturnType<NonNullable<Cipher['prepare']>>>;

/** A key asked for ahead of its chunk: the derivation, and its cost as the cipher told it (`scrypt, 1.0 GiB, ~3 s`). */
export interface KeyInTheMaking {
  readonly key: Promise<PreparedDecryption>;
  readonly cost: string | undefined;
}

export interface KeyAheadOptions {
  readonly tar: Container;
  readonly cipher: Cipher;
  /** A seekable source, and the offset of the first member to look at. */
  readonly source: ByteSource;
  readonly start: number;
  /** Which stored paths will be decrypted (others are not worth a derivation). */
  readonly wanted: (path: string) => boolean;
  /** The unit passphrase for a chunk stem (`vm5/private.img.000`). */
  readonly keyFor: (stem: string) => Uint8Array;
  readonly signal?: AbortSignal;
  /** Keys asked for and not yet taken, at most (the cores the machine offers). */
  readonly parallel: number;
  /** Stop scanning after this many derivations were started (default: no limit). */
  readonly maxKeys?: number;
}

/**
 * Derives the keys of upcoming chunks while earlier chunks are decrypted, decompressed and written.
 * Every format-4 chunk has its own scrypt salt (0.5–1 GiB and seconds per derivation with the
 * scrypt CLI's defaults), so deriving each key only when its chunk comes leaves the rest of the
 * restore waiting. A second, header-only pass over the (seekable) backup reads each wanted chunk's first bytes, seeking over bodies, and runs
 * derivations. When they run is the cipher's scheduler's decision (one budget of cores and memory
 * for the whole process; what the main pass needs now goes first), so this only bounds how far
 * ahead it asks. Output order never changes: the main pass takes keys by member name in backup
 * order and falls back to deriving itself when none is ready.
 */
export class KeyAhead {
  private readonly ready = new Map<string, KeyInTheMaking>();
  private readonly claimed = new Set<string>();
  private readonly parallel: number;
  /** Ends this look-ahead's scan and its derivations still waiting for their turn (dispose, or the caller's abort). */
  private readonly stop = new AbortController();
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: KeyAheadOptions) {
    this.parallel = Math.max(1, o.parallel);
    // By hand: AbortSignal.any is missing in older browsers.
    o.signal?.addEventListener('abort', () => this.stop.abort(o.signal!.reason), { once: true });
    if (o.signal?.aborted) this.stop.abort(o.signal.reason);
  }

  start(): void {
    this.scan().catch(() => undefined); // A failing scan only loses speed: the main pass reports errors.
  }

  /** The prepared key for a member, if the look-ahead has (or is making) one. */
  take(memberPath: string): KeyInTheMaking | undefined {
    this.claimed.add(memberPath);
    const p = this.ready.get(memberPath);
    if (p) { this.ready.delete(memberPath); this.poke(); }
    return p;
  }

  /** Stops the scan and wipes every key not taken. */
  dispose(): void {
    this.stopped = true;
    this.stop.abort();
    for (const { key } of this.ready.values()) key.then((k) => k.dispose(), () => undefined);
    this.ready.clear();
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async room(): Promise<void> {
    // Ready keys wait for the main pass; cap them too, so the scan does not run arbitrarily far ahead.
    while (!this.stopped && (this.inFlight >= this.parallel || this.ready.size > this.parallel)) {
      await new Promise<void>((r) => { this.wake = r; });
    }
  }

  private async scan(): Promise<void> {
    const { source, start, cipher } = this.o;
    const need = cipher.prepareBytes ?? 0;
    if (!cipher.prepare || need === 0) return;
    const sub: ByteSource = {
      name: source.name,
      seekable: true,
      ...(source.size !== undefined ? { size: source.size - start } : {}),
      stream: (offset = 0, opts) => source.stream(start + offset, opts),
    };
    let started = 0;
    for await (const m of this.o.tar.entries(sub, { ignoreZeros: true, ahead: true, signal: this.stop.signal })) {
      if (this.stopped) return;
      const cn = parseChunkName(m.path, '.enc');
      if (!cn || !this.o.wanted(cn.path) || this.claimed.has(m.path)) continue;
      const head = await firstBytes(m, need);
      if (head.length < need) continue;
      await this.room();
      if (this.stopped) return;
      if (this.claimed.has(m.path)) continue;
      this.inFlight++;
      started++;
      let cost: string | undefined;
      const p = cipher.prepare(head, this.o.keyFor(cn.stem), { signal: this.stop.signal, onStatus: (c) => { cost = c ?? cost; } });
      p.catch(() => undefined).finally(() => { this.inFlight--; this.poke(); });
      this.ready.set(m.path, { key: p, get cost() { return cost; } });
      if (started >= (this.o.maxKeys ?? Infinity)) return;
    }
  }
}

async function firstBytes(m: Member, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  for await (const c of m.body()) {
    const k = Math.min(n - got, c.length);
    out.set(c.subarray(0, k), got);
    got += k;
    if (got === n) break;
  }
  return out.subarray(0, got);
}
