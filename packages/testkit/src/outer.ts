// Test plumbing for the OUTER archive only: read a real backup's members, change their order or
// bytes, and write them back as plain ustar pieces (what `tar -cO` appends, minus the PAX header).
// The chunk and .hmac bytes themselves stay the ones the real tools wrote.
import { collect, concatBytes, once, type ByteSource, type ByteStream, type ReadOptions, type Registry } from '@qubes-backup/core';

export interface OuterMember { name: string; data: Uint8Array }

/** The outer members in order, read with the registry's `tar` container. */
export async function readOuter(registry: Registry, bytes: Uint8Array): Promise<OuterMember[]> {
  const out: OuterMember[] = [];
  for await (const m of registry.get('container', 'tar').entries(once(bytes), { ignoreZeros: true })) {
    if (m.type === 'file') out.push({ name: m.path, data: await collect(m.body(), 1 << 30) });
  }
  return out;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => { for (let i = 0; i < s.length; i++) h[off + i] = s.charCodeAt(i); };
  if (name.length > 99) throw new Error('test writer: name too long');
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(1700000000, 12));
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, octal(sum, 7) + ' ');
  return h;
}

/** Each member as its own little tar (header, data, padding, two zero blocks), joined end to end. */
export function writeOuter(members: readonly OuterMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    parts.push(header(m.name, m.data.length), m.data, new Uint8Array((512 - (m.data.length % 512)) % 512), new Uint8Array(1024));
  }
  return concatBytes(parts);
}

/** Flips bit 0 of member `name` at the offset `at(data)` returns (the member gets a copy first). */
export function flipMember(ms: OuterMember[], name: string, at: (d: Uint8Array) => number): void {
  const m = ms.find((x) => x.name === name)!;
  m.data = m.data.slice();
  m.data[at(m.data)]! ^= 0x01;
}

/** A backup held in memory as a ByteSource: seekable, or a pipe cut into the given piece sizes. */
export function memorySource(bytes: Uint8Array, o: { seekable?: boolean; pieces?: (n: number) => number } = {}): ByteSource {
  return {
    name: 'memory',
    size: bytes.length,
    seekable: o.seekable ?? true,
    stream(offset = 0): ByteStream {
      return (async function* () {
        let i = offset;
        while (i < bytes.length) {
          const n = Math.max(1, Math.min(bytes.length - i, o.pieces ? o.pieces(i) : 65536));
          yield bytes.slice(i, i + n);
          i += n;
        }
      })();
    },
    ...(o.seekable ?? true ? { read: async (offset: number, length: number) => bytes.slice(offset, offset + length) } : {}),
  };
}

/**
 * A backup held in memory as if it were a file on this machine (`local`: formats may read a chunk
 * twice), recording the offset each stream or read opens at; `change` may alter the pieces a stream
 * or a read gives (`offset`: where that stream or read opened, `at`: where the piece starts).
 */
export function localSource(bytes: Uint8Array, change?: (offset: number, piece: Uint8Array, at: number) => Uint8Array): { source: ByteSource; opened: number[] } {
  const mem = memorySource(bytes);
  const opened: number[] = [];
  const source: ByteSource = {
    ...mem, local: true,
    stream: (offset = 0, opts?: ReadOptions): ByteStream => {
      opened.push(offset);
      return (async function* () {
        let at = offset;
        for await (const p of mem.stream(offset, opts)) { yield change ? change(offset, p, at) : p; at += p.length; }
      })();
    },
    read: async (offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> => {
      opened.push(offset);
      const b = await mem.read!(offset, length, opts);
      return change ? change(offset, b, offset) : b;
    },
  };
  return { source, opened };
}
