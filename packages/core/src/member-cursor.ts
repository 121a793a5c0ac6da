import type { Member } from './plugin.js';

/**
 * A one-member look-ahead over an archive's members, so a format can see where one stored file's
 * chunks end (the next member has another path) without losing that member.
 */
export class MemberCursor {
  private buffered: Member | undefined;
  private ended = false;

  constructor(private readonly it: AsyncIterator<Member>) {}

  async peek(): Promise<Member | undefined> {
    if (this.buffered === undefined && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true; else this.buffered = r.value;
    }
    return this.buffered;
  }

  async take(): Promise<Member | undefined> {
    const m = await this.peek();
    this.buffered = undefined;
    return m;
  }
}

/** `<path>.NNN<suffix>`: a stored chunk name (3 or more digits, numeric order). */
export interface ChunkName {
  readonly path: string;
  readonly index: number;
  /** The name without `suffix` (what the v4 scrypt passphrase binds: `vm5/private.img.000`). */
  readonly stem: string;
}

export function parseChunkName(name: string, suffix: string): ChunkName | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, name.length - suffix.length);
  const m = /^(.+)\.([0-9]{3,})$/s.exec(stem);
  if (!m) return undefined;
  const digits = m[2]!;
  // '%03d' formatting: no leading zeros beyond three digits ("0100" is not chunk 100).
  if (digits.length > 3 && digits.startsWith('0')) return undefined;
  const index = Number(digits);
  if (!Number.isSafeInteger(index)) return undefined;
  return { path: m[1]!, index, stem };
}

/** The name a chunk with this index has (`%03d`). */
export function chunkSuffix(index: number): string {
  return `.${String(index).padStart(3, '0')}`;
}

/**
 * After a stored file failed mid-way (its consumer already has the error), skips whatever is left
 * of it, chunks and companions alike (`<path>.NNN`, `.NNN.enc`, `.NNN.hmac`), so the next file can
 * be read: `extract --keep-going` goes on with the other VMs.
 */
export async function skipRestOf(cursor: MemberCursor, path: string): Promise<void> {
  for (;;) {
    const m = await cursor.peek();
    if (!m || !m.path.startsWith(`${path}.`) || !/^[0-9]{3,}(\.enc|\.hmac)?$/.test(m.path.slice(path.length + 1))) return;
    await cursor.take();
  }
}
