import type { KeyAhead } from './key-ahead.js';
import {
  AuthenticationError, CorruptBackupError, concatBytes, utf8, withMember,
  type ByteStream, type Cipher, type ReadOptions,
} from '@qubes-backup/core';
import { parseChunkName, type Fingerprint, type MemberCursor } from '@qubes-backup/qubes-common';

export interface StoredFileContext {
  readonly cursor: MemberCursor;
  /** Keys derived ahead of time, when the source allows a look-ahead pass. */
  readonly ahead?: KeyAhead;
  readonly cipher: Cipher;
  readonly backupId: string;
  readonly passphrase: Uint8Array;
  readonly opts?: ReadOptions;
  /** Told what the restore waits on (a chunk's key derivation: seconds at logN 20), for people. */
  readonly status?: ReadOptions['onStatus'];
  /** A fresh keyed fingerprint per chunk (`windowPrints`): with it, a chunk of a local file is read twice, not held. */
  readonly prints?: () => Fingerprint;
}

/**
 * The plaintext of one stored file: its chunks `<path>.000.enc`, `.001.enc`, … decrypted in order,
 * each authenticated by scrypt before any of its bytes are yielded. Each chunk's passphrase is
 * `<backup-id>!<path>.NNN!<passphrase>` (spec §4.2), so a renamed, moved, reordered or spliced chunk
 * fails its header HMAC even though the passphrase opened the backup header.
 * Ends when the next member belongs to another file; a gap or a restart of the sequence is an error.
 */
export async function* storedFile(ctx: StoredFileContext, path: string): ByteStream {
  let expected = 0;
  for (;;) {
    const m = await ctx.cursor.peek();
    const cn = m && parseChunkName(m.path, '.enc');
    if (!m || !cn || cn.path !== path) {
      if (expected === 0) throw new CorruptBackupError(`missing chunk ${path}.000.enc`, { member: path });
      return;
    }
    if (cn.index !== expected) {
      throw new CorruptBackupError(
        `unexpected chunk, expected ${path}.${String(expected).padStart(3, '0')}.enc (missing, duplicated or reordered chunk)`,
        { member: m.path },
      );
    }
    await ctx.cursor.take();
    const key = chunkKey(ctx, cn.stem);
    const prepared = ctx.ahead?.take(m.path);
    // Said until the chunk's first plaintext: its key is derived (here or ahead) before anything else,
    // with what the derivation costs once the cipher said (memory, and time once one was timed).
    let waiting = Boolean(ctx.status);
    const deriving = (cost: string | undefined) => ctx.status?.(`deriving the key of ${m.path}${cost ? ` (${cost})` : ''}`);
    deriving(prepared?.cost);
    const opts = ctx.status ? { ...ctx.opts, onStatus: (cost: string | undefined) => { if (waiting && cost) deriving(cost); } } : ctx.opts;
    // A chunk of a local file is read twice (authenticated, then decrypted) rather than held whole until its MAC verifies.
    const reread = m.reread && ctx.prints ? { reread: m.reread.bind(m), fingerprint: ctx.prints() } : {};
    try {
      const plain = prepared
        ? (await prepared.key).decrypt(m.body(ctx.opts), { ...ctx.opts, ...reread })
        : ctx.cipher.decrypt(m.body(ctx.opts), key, { ...opts, ...reread });
      for await (const piece of plain) {
        if (waiting) { waiting = false; ctx.status?.(undefined); }
        yield piece;
      }
    } catch (e) {
      if ((e as { code?: string }).code === 'E_PASSPHRASE') {
        // The backup header opened with this passphrase, so a chunk that does not is not ours.
        throw new AuthenticationError(
          'chunk does not authenticate under its own name (renamed, moved or spliced from another backup)',
          { member: m.path, cause: e },
        );
      }
      throw withMember(e, m.path);
    } finally {
      if (waiting) ctx.status?.(undefined);
      key.fill(0);
    }
    expected++;
  }
}

/** The scrypt passphrase of one chunk: `<backup-id>!<stem>!<passphrase>` (the passphrase may itself hold `!`). */
export function chunkKey(ctx: Pick<StoredFileContext, 'backupId' | 'passphrase'>, stem: string): Uint8Array {
  return concatBytes([utf8.encode(`${ctx.backupId}!${stem}!`), ctx.passphrase]);
}

/** Reads past every chunk of `path` without decrypting (an unselected file). */
export async function skipStoredFile(cursor: MemberCursor, path: string): Promise<void> {
  for (;;) {
    const m = await cursor.peek();
    const cn = m && parseChunkName(m.path, '.enc');
    if (!m || !cn || cn.path !== path) return;
    await cursor.take();
  }
}
