// The HMAC chunk layer of formats 2 and 3: a chunk reaches its consumer only after its .hmac
// verified; sizes are bounded before anything is buffered; the sequence must be complete and in order.
import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { Mac, Member } from '@qubes-backup/core';
import { ChunkSequence, MemberCursor, nextSelectedFile } from '@qubes-backup/qubes-common';
import { drain, enc, fakeMember, memberStream, rejection } from '@qubes-backup/testkit';
import { createHmacMac } from '@qubes-backup/mac-hmac';

const PASS = enc('qubes');
const mac: Mac = createHmacMac({ name: 'sha512', backend: 'node' });

const member = (path: string, data: Uint8Array | (() => AsyncIterable<Uint8Array>), size?: number): Member =>
  fakeMember(path, data, size !== undefined ? { size } : {});

/** A chunk and its `.hmac` as `openssl dgst -sha512 -hmac qubes` prints it. */
function pair(path: string, data: Uint8Array, tag?: string): Member[] {
  const hex = tag ?? createHmac('sha512', Buffer.from(PASS)).update(data).digest('hex');
  return [member(path, data), member(`${path}.hmac`, enc(`SHA2-512(stdin)= ${hex}\n`))];
}

function cursorOf(members: Member[]): MemberCursor {
  return new MemberCursor(memberStream(members));
}

const sequence = (members: Member[], path: string) => new ChunkSequence({ cursor: cursorOf(members), mac, passphrase: PASS }, path);

describe('ChunkSequence', () => {
  test('yields the chunks of one file in order and stops at the next file', async () => {
    const members = [...pair('vm5/a.000', enc('one ')), ...pair('vm5/a.001', enc('two')), ...pair('vm5/b.000', enc('other'))];
    const s = sequence(members, 'vm5/a');
    expect(new TextDecoder().decode(Buffer.concat(await collectAll(s.stream())))).toBe('one two');
  });

  test('a flipped byte: AuthenticationError naming the chunk, and nothing of it was yielded', async () => {
    const data = enc('secret data');
    const bad = pair('vm5/a.000', data);
    const flipped = Uint8Array.from(data);
    flipped[0]! ^= 1;
    bad[0] = member('vm5/a.000', flipped);
    const s = sequence(bad, 'vm5/a');
    const got: Uint8Array[] = [];
    const e = await rejection((async () => { for await (const c of s.stream()) got.push(c); })());
    expect(e).toMatchObject({ code: 'E_AUTH', member: 'vm5/a.000' });
    expect(got).toEqual([]);
  });

  test('a gap in the numbering is refused, naming the chunk found', async () => {
    const s = sequence([...pair('vm5/a.000', enc('x')), ...pair('vm5/a.002', enc('y'))], 'vm5/a');
    const e = await rejection(drain(s.stream()));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/a.002' });
    expect(e.message).toContain('expected vm5/a.001');
  });

  test('a file without chunk .000 is refused', async () => {
    const e = await rejection(drain(sequence(pair('vm5/b.000', enc('x')), 'vm5/a').stream()));
    expect(e.message).toContain('missing chunk vm5/a.000');
  });

  test('a chunk not followed by its .hmac is refused', async () => {
    const members = [member('vm5/a.000', enc('x')), ...pair('vm5/a.001', enc('y'))];
    const e = await rejection(drain(sequence(members, 'vm5/a').stream()));
    expect(e.message).toContain('expected hmac for vm5/a.000, but got vm5/a.001');
  });

  test('a chunk above 128 MiB is refused without buffering it', async () => {
    const zeros = new Uint8Array(1 << 20);
    let pieces = 0;
    const huge = member('qubes.xml.000', async function* () { for (let i = 0; i < 200; i++) { pieces++; yield zeros; } }, 200 << 20);
    const e = await rejection(drain(sequence([huge], 'qubes.xml').stream()));
    expect(e).toMatchObject({ code: 'E_CORRUPT' });
    expect(e.message).toContain('larger than 128 MiB');
    expect(pieces).toBeLessThanOrEqual(129);
  });

  test('an oversized .hmac is refused', async () => {
    const members = [member('vm5/a.000', enc('x')), member('vm5/a.000.hmac', new Uint8Array(5000).fill(0x20))];
    const e = await rejection(drain(sequence(members, 'vm5/a').stream()));
    expect(e.message).toContain('larger than 4096');
  });
});

describe('nextSelectedFile', () => {
  const owners = (path: string) => (path.startsWith('vm5/') ? { vm: 'work', prefix: 'vm5/' } : undefined);

  test('skips unselected files and files of no VM without reading them; a file stored twice is refused', async () => {
    const members = [...pair('vm9/x.000', enc('a')), ...pair('vm5/a.000', enc('b')), ...pair('vm5/a.000', enc('b'))];
    const cursor = cursorOf(members);
    const seen = new Set<string>();
    const first = await nextSelectedFile(cursor, seen, owners, () => true);
    expect(first?.info).toEqual({ unit: 'work', path: 'vm5/a' });
    await cursor.take(); await cursor.take();
    const e = await rejection(nextSelectedFile(cursor, seen, owners, () => true));
    expect(e.message).toContain('stored twice');
  });
});

async function collectAll(s: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of s) out.push(c);
  return out;
}
