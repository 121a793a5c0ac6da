import { CorruptBackupError, collect, type ByteStream, type Member, type Registry } from '@qubes-backup/core';
import { shielded } from './streams.js';

/** qubes.xml may not be larger (the reference reads one 100 MiB chunk at most). */
export const INNER_FILE_LIMIT = 64 << 20;

/**
 * The one regular file named `name` among an inner archive's members (qubes.xml). Every member is
 * read to its end, so every chunk behind the file is still authenticated.
 */
export async function innerFile(members: AsyncIterable<Member>, name: string, member: string): Promise<Uint8Array> {
  let found: Uint8Array | undefined;
  for await (const m of members) {
    if (m.path === name && m.type === 'file' && found === undefined) {
      try {
        found = await collect(m.body(), INNER_FILE_LIMIT, name);
      } catch (e) {
        if (e instanceof RangeError) throw new CorruptBackupError(`${name} is larger than ${INNER_FILE_LIMIT >> 20} MiB`, { member });
        throw e;
      }
    }
  }
  if (!found) throw new CorruptBackupError(`the archive does not contain '${name}'`, { member });
  return found;
}

/**
 * The same from a single-volume inner tar stream; what follows the tar's end marker (padding, an
 * empty last chunk) is read too.
 */
export async function readInnerFile(registry: Registry, stream: ByteStream, name: string, member: string): Promise<Uint8Array> {
  const s = shielded(stream);
  const found = await innerFile(registry.get('container', 'tar').entries(s.stream), name, member);
  await s.rest();
  return found;
}
