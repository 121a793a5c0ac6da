// fileSource: how much a reader costs that opens the backup at an offset, takes a header and moves on;
// directorySource.readSmall: a whole small file at once (a Wyng chunk).
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorySource, fileSource, streamSource } from '../src/source.js';

describe('fileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-source-'));
  const path = join(dir, 'backup');
  const data = new Uint8Array(8 << 20).map((_, i) => i % 251);
  writeFileSync(path, data);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the first read at an offset is one page: skipping a member costs its header, not 64 KiB', async () => {
    // `--vm LAST` and the key look-ahead open the source after every skipped 100 MiB chunk and read
    // only its tar headers (1.5 KiB with PAX) and the scrypt header: a small VM after a big one pays
    // this once per chunk before it.
    const src = await fileSource(path);
    const it = src.stream(1_000_000)[Symbol.asyncIterator]();
    const first = (await it.next()).value as Uint8Array;
    await it.return?.();
    expect(first.length).toBe(4096);
    expect(first[0]).toBe(1_000_000 % 251);
  });

  test('reads then grow to 1 MiB and deliver every byte in order', async () => {
    const src = await fileSource(path);
    const sizes: number[] = [];
    let pos = 12345;
    for await (const c of src.stream(12345)) {
      sizes.push(c.length);
      expect(c[0]).toBe(pos % 251);
      pos += c.length;
    }
    expect(pos).toBe(data.length);
    expect(sizes.slice(0, 3)).toEqual([4096, 8192, 16384]);
    expect(Math.max(...sizes)).toBe(1 << 20);
  });
});

describe('directorySource.readSmall', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-source-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'chunk'), new Uint8Array(300_000).map((_, i) => i % 253));
  const read = (rel: string, max: number) => directorySource(dir).readSmall!(rel, max);

  test('the whole file, and one byte more than `max` when it is longer (so the caller sees it)', async () => {
    const all = await read('sub/chunk', 400_000);
    expect([all!.length, all![299_999]]).toEqual([300_000, 299_999 % 253]);
    expect((await read('sub/chunk', 1000))!.length).toBe(1001);
    expect((await read('sub/chunk', 300_000))!.length).toBe(300_000);
  });

  test('undefined when there is no such file; IoError naming it when it cannot be read', async () => {
    expect(await read('sub/none', 10)).toBeUndefined();
    await expect(read('sub', 10)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining(join(dir, 'sub')) });
  });

  test('list gives a symbolic link as what it points to, and one that points nowhere as other', async () => {
    mkdirSync(join(dir, 'links'));
    symlinkSync(join(dir, 'sub', 'chunk'), join(dir, 'links', 'to-file'));
    symlinkSync(join(dir, 'sub'), join(dir, 'links', 'to-dir'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'links', 'dangling'));
    expect(await directorySource(dir).list('links')).toEqual([
      { name: 'dangling', type: 'other' }, { name: 'to-dir', type: 'dir' }, { name: 'to-file', type: 'file' },
    ]);
  });

  test('a named pipe where a file should be is refused at once, not waited on for a writer that never comes', async () => {
    execFileSync('mkfifo', [join(dir, 'sub', 'fifo')]);
    await expect(read('sub/fifo', 10)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/fifo'.*not a regular file/) });
  }, 5_000);
});

describe('streamSource (a named pipe)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-fifo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = (name: string) => { const p = join(dir, name); execFileSync('mkfifo', [p]); return p; };

  test('waits for a writer without blocking, says so, then reads every byte once', async () => {
    const p = fifo('fed');
    const status: (string | undefined)[] = [];
    const src = streamSource(p, statSync(p), { onStatus: (t) => status.push(t) });
    expect(src.seekable).toBe(false);
    const chunks: Uint8Array[] = [];
    const reading = (async () => { for await (const c of src.stream(0)) chunks.push(c); })();
    // The writer comes later: until then the event loop is free (this timer runs) and the status says why nothing moves.
    await new Promise((r) => setTimeout(r, 200));
    expect(status).toEqual([`waiting for data on the pipe '${p}'`]);
    const writer = spawn('sh', ['-c', 'head -c 3000000 /dev/zero > "$1"', 'sh', p], { stdio: 'ignore' });
    await reading;
    await new Promise((r) => writer.on('exit', r));
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(3_000_000);
    expect(status).toEqual([`waiting for data on the pipe '${p}'`, undefined]);
    expect(() => src.stream(0)).toThrow(/read only once/);
  });

  test('an abort ends the wait for a writer that never comes, with the abort\'s reason', async () => {
    const p = fifo('never');
    const stop = new AbortController();
    const src = streamSource(p, statSync(p), { signal: stop.signal });
    const reading = (async () => { for await (const _ of src.stream(0)) { /* nothing comes */ } })();
    setTimeout(() => stop.abort(new Error('stopped by the user')), 100);
    await expect(reading).rejects.toThrow('stopped by the user');
  });
});
