import type { Member } from '@qubes-backup/core';

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
