// The HMAC chunk layer of formats 2 and 3: a chunk reaches its consumer only after its .hmac
// verified; sizes are bounded before anything is buffered; the sequence must be complete and in order.
import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { AuthenticationError, CorruptBackupError, IoError, WrongPassphraseError, type ByteStream, type Mac, type Member } from '@qubes-backup/core';
import { ChunkSequence, MemberCursor, chunkOf, fromParts, naming, nextSelectedFile, readChunkPair, skipChunks, verifyChunk } from '@qubes-backup/qubes-common';
import { drain, enc, expectCode, fakeMember, memberStream, rejection } from '@qubes-backup/testkit';
import { createHmacMac } from '@qubes-backup/mac-hmac/node';

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

/** A member whose body must never be read (an unselected file is skipped, not read). */
const unread = (path: string): Member => fakeMember(path, () => { throw new Error(`${path} was read`); });
const MiB = 2 ** 20;

describe('readChunkPair: sizes bounded before anything is buffered', () => {
  /** A chunk of `n` bytes made of 1 MiB views of one buffer (no memory for 128 MiB). */
  const big = (n: number) => { const z = new Uint8Array(MiB); return member('vm5/a.000', async function* () { for (let o = 0; o < n; o += MiB) yield z.subarray(0, Math.min(MiB, n - o)); }, n); };
  const hmacOf = (n: number) => member('vm5/a.000.hmac', new Uint8Array(n).fill(0x20));

  test('a chunk of exactly 128 MiB and a .hmac of exactly 4096 bytes are read', async () => {
    const pair = await readChunkPair({ cursor: cursorOf([hmacOf(4096)]) }, big(128 * MiB));
    expect(pair.parts.reduce((a, p) => a + p.length, 0)).toBe(128 * MiB);
    expect([pair.name, pair.hmacName, pair.tag.length]).toEqual(['vm5/a.000', 'vm5/a.000.hmac', 4096]);
  });

  test('one byte more is refused, naming the member', async () => {
    const e = await expectCode(readChunkPair({ cursor: cursorOf([hmacOf(10)]) }, big(128 * MiB + 1)), 'E_CORRUPT', /chunk is larger than 128 MiB \(qvm-backup writes at most 100 MiB\)/);
    expect(e.member).toBe('vm5/a.000');
    const h = await expectCode(readChunkPair({ cursor: cursorOf([hmacOf(4097)]) }, member('vm5/a.000', enc('x'))), 'E_CORRUPT', /hmac file is larger than 4096 bytes/);
    expect(h.member).toBe('vm5/a.000.hmac');
  });

  test('the end of the archive instead of the .hmac', async () => {
    const e = await expectCode(readChunkPair({ cursor: cursorOf([]) }, member('vm5/a.000', enc('x'))), 'E_CORRUPT', /expected hmac for vm5\/a\.000, but got the end of the archive/);
    expect(e.member).toBe('vm5/a.000');
  });
});

describe('verifyChunk: any failure of the tag is an AuthenticationError naming the chunk', () => {
  const failing = (error: unknown): Mac => ({ info: { kind: 'mac', name: 'sha512', backend: 'node' }, async verify() { throw error; } });
  const pair = { name: 'vm5/a.000', hmacName: 'vm5/a.000.hmac', parts: [enc('x')], tag: enc('t') };

  test.each([
    ['a tag that does not match', new AuthenticationError('mismatch')],
    ['a tag that does not parse', new CorruptBackupError('not hex')],
    ['a key check failing', new WrongPassphraseError('no')],
  ])('%s', async (_what, error) => {
    const e = await expectCode(verifyChunk(failing(error), pair, PASS), 'E_AUTH', /HMAC \(sha512\) does not verify against vm5\/a\.000\.hmac: the chunk or its \.hmac was modified/);
    expect(e).toMatchObject({ name: 'AuthenticationError', member: 'vm5/a.000' });
  });

  test('an I/O error stays an I/O error (named); a crash stays a crash', async () => {
    const e = await expectCode(verifyChunk(failing(new IoError('read failed')), pair, PASS), 'E_IO');
    expect(e.member).toBe('vm5/a.000');
    const bug = new TypeError('bug');
    await expect(verifyChunk(failing(bug), pair, PASS)).rejects.toBe(bug);
  });

  test('the MAC sees exactly the chunk bytes and the raw passphrase', async () => {
    const seen: string[] = [];
    const spy: Mac = { info: mac.info, async verify(data, tag, key) { seen.push(new TextDecoder().decode(Buffer.concat(await collectAll(data))), new TextDecoder().decode(tag), new TextDecoder().decode(key)); } };
    await verifyChunk(spy, { ...pair, parts: [enc('ab'), enc('cd')] }, PASS);
    expect(seen).toEqual(['abcd', 't', 'qubes']);
  });
});

describe('ChunkSequence, more', () => {
  test('finish() reads and authenticates the chunks a consumer left', async () => {
    const members = [...pair('vm5/a.000', enc('one')), ...pair('vm5/a.001', enc('two'), '00'), ...pair('vm5/b.000', enc('x'))];
    const cursor = cursorOf(members);
    const s = new ChunkSequence({ cursor, mac, passphrase: PASS }, 'vm5/a');
    for await (const _ of s.stream()) break;
    const e = await rejection(s.finish());
    expect(e).toMatchObject({ code: 'E_AUTH', member: 'vm5/a.001' });
  });

  test('finish() after a complete read leaves the cursor at the next file; `current` names the chunk read last', async () => {
    const cursor = cursorOf([...pair('vm5/a.000', enc('one')), ...pair('vm5/a.001', enc('two')), ...pair('vm5/b.000', enc('x'))]);
    const s = new ChunkSequence({ cursor, mac, passphrase: PASS }, 'vm5/a');
    expect(s.current).toBe('vm5/a.000');
    expect(new TextDecoder().decode(Buffer.concat(await collectAll(s.stream())))).toBe('onetwo');
    expect(s.current).toBe('vm5/a.001');
    await s.finish();
    expect(await s.next()).toBeUndefined();
    expect((await cursor.peek())?.path).toBe('vm5/b.000');
  });

  test('a first chunk read by the caller is given first, and the sequence goes on after its index', async () => {
    const cursor = cursorOf([...pair('vm5/a.001', enc('two')), ...pair('vm5/a.002', enc('three'))]);
    const s = new ChunkSequence({ cursor, mac, passphrase: PASS }, 'vm5/a', { name: 'vm5/a.000', index: 0, bytes: () => fromParts([enc('one')]) });
    expect(new TextDecoder().decode(Buffer.concat(await collectAll(s.stream())))).toBe('onetwothree');
  });

  test('a chunk of another file where .000 should be: refused naming what was found', async () => {
    const e = await rejection(drain(sequence([...pair('vm5/b.000', enc('x'))], 'vm5/a').stream()));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/b.000' });
    const end = await rejection(drain(sequence([], 'vm5/a').stream()));
    expect(end).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/a' });
  });

  test('a member that is no chunk after the last one ends the file (it is the next file\'s business)', async () => {
    const cursor = cursorOf([...pair('vm5/a.000', enc('one')), member('vm5/notes', enc('x'))]);
    expect(new TextDecoder().decode(Buffer.concat(await collectAll(new ChunkSequence({ cursor, mac, passphrase: PASS }, 'vm5/a').stream())))).toBe('one');
    expect((await cursor.peek())?.path).toBe('vm5/notes');
    const skip = cursorOf([unread('vm5/a.000'), unread('vm5/a.000.hmac'), unread('vm5/notes')]);
    await skipChunks(skip, 'vm5/a');
    expect((await skip.peek())?.path).toBe('vm5/notes');
  });

  test('a chunk repeated: refused at the repeat', async () => {
    const e = await rejection(drain(sequence([...pair('vm5/a.000', enc('x')), ...pair('vm5/a.000', enc('x'))], 'vm5/a').stream()));
    expect(e).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/a.000' });
    expect(e.message).toContain('expected vm5/a.001 (missing, duplicated or reordered chunk)');
  });
});

describe('skipChunks and nextSelectedFile never read a skipped body', () => {
  test('skipChunks passes over every chunk and .hmac of the file and stops at the next', async () => {
    const cursor = cursorOf([unread('vm5/a.000'), unread('vm5/a.000.hmac'), unread('vm5/a.001'), unread('vm5/a.001.hmac'), unread('vm5/b.000')]);
    await skipChunks(cursor, 'vm5/a');
    expect((await cursor.peek())?.path).toBe('vm5/b.000');
    await skipChunks(cursorOf([]), 'vm5/a');
  });

  test('skipChunks refuses a chunk without its .hmac', async () => {
    const e = await expectCode(skipChunks(cursorOf([unread('vm5/a.000'), unread('vm5/a.001')]), 'vm5/a'), 'E_CORRUPT', /expected hmac for vm5\/a\.000, but got vm5\/a\.001/);
    expect(e.member).toBe('vm5/a.001');
    const end = await expectCode(skipChunks(cursorOf([unread('vm5/a.000')]), 'vm5/a'), 'E_CORRUPT', /but got the end of the archive/);
    expect(end.member).toBe('vm5/a.000');
  });

  test('nextSelectedFile: files of no VM and unselected files are skipped unread; the end gives undefined', async () => {
    const owners = (path: string) => (path.startsWith('vm5/') ? { vm: 'work', prefix: 'vm5/' } : path.startsWith('vm6/') ? { vm: 'other', prefix: 'vm6/' } : undefined);
    const cursor = cursorOf([unread('vm9/x.000'), unread('vm9/x.000.hmac'), unread('vm6/y.000'), unread('vm6/y.000.hmac'), ...pair('vm5/a.000', enc('b'))]);
    const seen = new Set<string>();
    const selected: string[] = [];
    const got = await nextSelectedFile(cursor, seen, owners, (a) => { selected.push(`${a.unit}:${a.path}`); return a.unit === 'work'; });
    expect(got).toEqual({ info: { unit: 'work', path: 'vm5/a' }, owner: { vm: 'work', prefix: 'vm5/' } });
    expect(selected).toEqual(['other:vm6/y', 'work:vm5/a']);
    expect([...seen]).toEqual(['vm9/x', 'vm6/y', 'vm5/a']);
    await cursor.take(); await cursor.take();
    expect(await nextSelectedFile(cursor, seen, owners, () => true)).toBeUndefined();
  });

  test('nextSelectedFile: a member that is no chunk, or a file seen before, is refused naming it', async () => {
    const owners = () => ({ vm: 'work', prefix: 'vm5/' });
    const e = await expectCode(nextSelectedFile(cursorOf([unread('vm5/notes')]), new Set(), owners, () => true), 'E_CORRUPT', /unexpected member \(expected a chunk '<name>\.NNN'\)/);
    expect(e.member).toBe('vm5/notes');
    const twice = await expectCode(nextSelectedFile(cursorOf([unread('vm5/a.000')]), new Set(['vm5/a']), owners, () => false), 'E_CORRUPT', /file stored twice in the backup/);
    expect(twice.member).toBe('vm5/a.000');
  });
});

describe('small pieces', () => {
  test('chunkOf: a data chunk <path>.NNN; .hmac files and other names are none', () => {
    expect(chunkOf('vm5/a.007')).toEqual({ path: 'vm5/a', index: 7 });
    expect(chunkOf('vm5/a.007.hmac')).toBeUndefined();
    expect(chunkOf('vm5/a.007.enc')).toBeUndefined();
    expect(chunkOf('vm5/a')).toBeUndefined();
  });

  test('fromParts: at most 1 MiB per piece, as views of the parts (no copies)', async () => {
    const part = new Uint8Array(2 * MiB + 5);
    const pieces = await collectAll(fromParts([part, enc('xy')]));
    expect(pieces.map((p) => p.length)).toEqual([MiB, MiB, 5, 2]);
    expect(pieces.slice(0, 3).every((p) => p.buffer === part.buffer)).toBe(true);
    expect(await collectAll(fromParts([new Uint8Array(0)]))).toEqual([]);
  });

  test('naming: errors get the member; a key check failing after the HMAC verified is corruption; named errors keep their name', async () => {
    const failing = (e: unknown): ByteStream => (async function* () { yield enc('x'); throw e; })();
    const passphrase = await rejection(drain(naming(failing(new WrongPassphraseError('bad key')), () => 'vm5/a.001')));
    expect(passphrase).toMatchObject({ name: 'CorruptBackupError', code: 'E_CORRUPT', member: 'vm5/a.001', message: 'vm5/a.001: decryption failed although the HMAC verified' });
    expect(await rejection(drain(naming(failing(new CorruptBackupError('bad gzip')), () => 'vm5/a.001')))).toMatchObject({ code: 'E_CORRUPT', member: 'vm5/a.001' });
    expect(await rejection(drain(naming(failing(new CorruptBackupError('bad', { member: 'inner' })), () => 'vm5/a.001')))).toMatchObject({ member: 'inner' });
    const bug = new TypeError('bug');
    await expect(drain(naming(failing(bug), () => 'x'))).rejects.toBe(bug);
    expect(await drain(naming((async function* () { yield enc('abc'); })(), () => 'x'))).toBe(3);
  });
});
