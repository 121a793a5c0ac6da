import { UsageError, type Member, type ReadOptions } from '@qubes-backup/core';

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

/**
 * The cursor of each pass over a backup's stored files (`OpenedBackup.archives` may be called again:
 * the web page lists a dom0 home, then saves one of its files). The first pass goes on with the
 * cursor the format opened with; a later one reads the outer tar again (`reread`, seekable sources)
 * up to the member where the first pass began, skipping the members before it by their headers. A
 * stream can be read once: a later pass is refused.
 */
export function passCursors(first: MemberCursor, reread: ((opts?: ReadOptions) => AsyncIterator<Member>) | undefined, name: string): (opts?: ReadOptions) => Promise<MemberCursor> {
  let start: number | undefined | null = null;
  return async (opts) => {
    if (start === null) {
      start = (await first.peek())?.headerOffset;
      return first;
    }
    if (!reread) throw new UsageError(`'${name}' is read as a stream: its stored files can be read once; open it again to read them again`);
    const from = start;
    const it = reread(opts);
    return new MemberCursor((async function* () {
      if (from === undefined) return; // nothing followed qubes.xml
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        if (r.value.headerOffset < from) continue;
        yield r.value;
        break;
      }
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    })());
  };
}
