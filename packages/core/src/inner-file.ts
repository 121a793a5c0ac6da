import { CorruptBackupError } from './errors.js';
import { collect, type ByteStream } from './bytes.js';
import { shielded } from './streams.js';
import type { Registry } from './registry.js';

/** qubes.xml may not be larger (the reference reads one 100 MiB chunk at most). */
export const INNER_FILE_LIMIT = 64 << 20;

/**
 * The one regular file named `name` inside a small inner tar (qubes.xml). The rest of the stream is
 * still read to its end, so every chunk behind it is authenticated.
 */
export async function readInnerFile(registry: Registry, stream: ByteStream, name: string, member: string): Promise<Uint8Array> {
  const tar = registry.get('container', 'tar');
  const s = shielded(stream);
  let found: Uint8Array | undefined;
  for await (const m of tar.entries(s.stream)) {
    if (m.path === name && m.type === 'file' && found === undefined) {
      try {
        found = await collect(m.body(), INNER_FILE_LIMIT, name);
      } catch (e) {
        if (e instanceof RangeError) throw new CorruptBackupError(`${name} is larger than ${INNER_FILE_LIMIT >> 20} MiB`, { member });
        throw e;
      }
    }
  }
  await s.rest();
  if (!found) throw new CorruptBackupError(`the archive does not contain '${name}'`, { member });
  return found;
}

/** The one volume of a single-volume inner archive. */
export async function* singleVolume(stream: ByteStream): AsyncIterable<ByteStream> {
  yield stream;
}
