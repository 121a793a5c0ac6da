import { posix } from 'node:path';
import { ByteReader, IoError, type ByteSource, type ByteStream, type DirectorySource, type ReadOptions } from '@qubes-backup/core';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { Session } from './_connect.js';

/** OpenSSH's sftp-server answers reads of at most 256 KiB; larger reads are split into parallel requests of this size. */
const PIECE = 256 << 10;
/** Requests of one read in flight at once (SFTP pipelines them over the one channel). */
const PARALLEL = 8;
/** A stream reads 16 KiB first and doubles up to 4 MiB, one read ahead: a header-and-seek costs little, a long read stays busy. */
const FIRST_READ = 16 << 10;
const MAX_READ = 4 << 20;

type Handle = Buffer;

function sftpError(what: string, path: string, e: Error & { code?: number }): IoError {
  return new IoError(`${what} '${path}' over SFTP failed: ${e.message}`, { cause: e });
}

function open(sftp: SFTPWrapper, path: string): Promise<Handle> {
  return new Promise((resolve, reject) => sftp.open(path, 'r', (e, h) => (e ? reject(e) : resolve(h))));
}

function fstat(sftp: SFTPWrapper, h: Handle): Promise<Stats> {
  return new Promise((resolve, reject) => sftp.fstat(h, (e, s) => (e ? reject(e) : resolve(s))));
}

function closeHandle(sftp: SFTPWrapper, h: Handle): Promise<void> {
  return new Promise((resolve) => sftp.close(h, () => resolve()));
}

/** Up to `length` bytes at `position` (fewer only at the end of the file). */
function readOnce(sftp: SFTPWrapper, h: Handle, buf: Buffer, off: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => sftp.read(h, buf, off, length, position, (e, n) => {
    // A read at or past the end is an EOF status, which ssh2 passes as an error with code 1.
    if (e) return (e as Error & { code?: number }).code === 1 ? resolve(0) : reject(e);
    resolve(n);
  }));
}

/** Exactly `length` bytes at `offset` unless the file ends first, read in parallel pieces. */
async function readAt(sftp: SFTPWrapper, h: Handle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  const got = new Array<number>(Math.ceil(length / PIECE)).fill(0);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < got.length; i = next++) {
      const start = i * PIECE;
      const n = Math.min(PIECE, length - start);
      // A server may answer with fewer bytes than asked (another limit): ask on until the piece is full or the file ends.
      while (got[i]! < n) {
        const k = await readOnce(sftp, h, buf, start + got[i]!, n - got[i]!, offset + start + got[i]!);
        if (k === 0) return;
        got[i]! += k;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, got.length) }, worker));
  let total = 0;
  for (const g of got) { total += g; if (g < PIECE) break; }
  return new Uint8Array(buf.buffer, buf.byteOffset, Math.min(total, length));
}

/** A remote file as a seekable source over the session: one handle, opened at once, closed with the source. */
export async function sftpFile(session: Session, path: string, label: string, owned: boolean): Promise<ByteSource> {
  const { sftp } = session;
  let h: Handle;
  let size: number;
  try {
    h = await open(sftp, path);
    size = (await fstat(sftp, h)).size;
  } catch (e) {
    if (owned) await session.close();
    throw sftpError('opening', label, e as Error);
  }
  const read = async (offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> => {
    opts?.signal?.throwIfAborted();
    const n = Math.max(0, Math.min(length, size - offset));
    let b: Uint8Array;
    try { b = n === 0 ? new Uint8Array(0) : await readAt(sftp, h, offset, n); } catch (e) { throw sftpError('reading', label, e as Error); }
    opts?.onProgress?.(b.length);
    return b;
  };
  return {
    name: label,
    size,
    seekable: true,
    read,
    stream: (offset = 0, opts?: ReadOptions): ByteStream => ByteReader.pieces(read, size, offset, opts, { first: FIRST_READ, max: MAX_READ, ahead: true }),
    async close() {
      await closeHandle(sftp, h);
      if (owned) await session.close();
    },
  };
}

/**
 * A remote folder (a Borg repository) over the session: listed with `readdir`, its files opened as
 * seekable sources (closed when read through, or when the folder closes), small files read whole.
 */
export function sftpFolder(session: Session, root: string, label: string): DirectorySource {
  const { sftp } = session;
  const open = new Set<ByteSource>();
  const full = (rel: string) => (rel === '' ? root : posix.join(root, rel));
  return {
    name: label,
    async list(rel) {
      const path = full(rel);
      const entries = await new Promise<{ filename: string; attrs: Stats }[]>((resolve, reject) =>
        sftp.readdir(path, (e, l) => (e ? reject(sftpError('listing', `${label}/${rel}`, e)) : resolve(l))));
      const typeOf = (a: Stats) => (a.isFile() ? 'file' as const : a.isDirectory() ? 'dir' as const : 'other' as const);
      const typed = await Promise.all(entries.map(async (e) => {
        let type = typeOf(e.attrs);
        // readdir gives lstat's answer (a link is a link), and some servers leave the type out:
        // ask stat, which follows links, as borg and Wyng open them.
        if (type === 'other') {
          type = await new Promise<Stats | undefined>((resolve) => sftp.stat(posix.join(path, e.filename), (err, st) => resolve(err ? undefined : st)))
            .then((st) => (st ? typeOf(st) : 'other'));
        }
        return { name: e.filename, type };
      }));
      return typed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async file(rel) {
      const f = await sftpFile(session, full(rel), `${label}/${rel}`, false);
      open.add(f);
      return f;
    },
    async readSmall(rel, max) {
      let h: Handle;
      try { h = await open_(full(rel)); } catch (e) {
        if ((e as { code?: number }).code === 2) return undefined; // SSH_FX_NO_SUCH_FILE
        throw sftpError('opening', `${label}/${rel}`, e as Error);
      }
      try {
        const size = (await fstat(sftp, h)).size;
        return await readAt(sftp, h, 0, Math.min(size, max) + 1);
      } catch (e) {
        throw sftpError('reading', `${label}/${rel}`, e as Error);
      } finally {
        await closeHandle(sftp, h);
      }
    },
    async close() {
      await Promise.all([...open].map((f) => f.close?.()));
      await session.close();
    },
  };
  function open_(path: string): Promise<Handle> { return new Promise((resolve, reject) => sftp.open(path, 'r', (e, h) => (e ? reject(e) : resolve(h)))); }
}
