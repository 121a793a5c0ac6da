import type { Member } from '@qubes-backup/core';

export interface FakeMemberOptions {
  type?: Member['type'];
  linkTarget?: string;
  mode?: number;
  mtime?: number;
  /** Logical size (default: the data's length; for a body given as a function, 0). */
  size?: number;
}

/**
 * A Member made by hand, for unit tests of what consumes members (sinks, chunk layers): its body
 * is `data` (one piece) or the pieces `data()` yields (a generator may throw to fail mid-way).
 */
export function fakeMember(path: string, data: Uint8Array | (() => AsyncIterable<Uint8Array>) = new Uint8Array(0), o: FakeMemberOptions = {}): Member {
  const body = data instanceof Uint8Array ? async function* () { if (data.length) yield data; } : data;
  const size = o.size ?? (data instanceof Uint8Array ? data.length : 0);
  return {
    path, type: o.type ?? 'file', size, storedSize: size, mode: o.mode ?? 0o644, mtime: o.mtime ?? 1_700_000_000, sparse: false,
    headerOffset: 0, ...(o.linkTarget !== undefined ? { linkTarget: o.linkTarget } : {}),
    async *extents() {
      let offset = 0;
      for await (const bytes of body()) { yield { offset, bytes }; offset += bytes.length; }
    },
    body,
  };
}

/** An async iterator over these members, as a container's `entries` gives them. */
export function memberStream(members: readonly Member[]): AsyncIterator<Member> {
  return (async function* () { yield* members; })()[Symbol.asyncIterator]();
}
