import { CorruptBackupError, collect, type ReadOptions, type Registry } from '@qubes-backup/core';
import type { VmInfo } from '@qubes-backup/qubes-common';
import { parseQubesXml } from '@qubes-backup/qubes-xml';

/** The volume wyng-util-qubes stores beside the qubes' volumes: a gzip tar of /var/lib/qubes/*.xml. */
export const QUBES_METADATA_VOLUME = 'wyng-qubes-metadata';
/** The largest qubes.xml read from the metadata volume (the volume itself streams through gzip and tar). */
const MAX_METADATA = 64 << 20;

/**
 * Which qube and which of its images a volume is, by wyng-util-qubes' names: LVM pools store
 * `vm-<qube>-private` / `vm-<qube>-root`, file and reflink pools `appvms/<qube>/private.img`,
 * `vm-templates/<qube>/root.img` (and the other kinds' folders).
 */
export function qubeOf(volume: string): { qube: string; image: 'private' | 'root' } | undefined {
  const m = /^vm-(.+)-(private|root)$/.exec(volume) ?? /^(?:appvms|vm-templates|servicevms|standalone)\/([^/]+)\/(private|root)\.img$/.exec(volume);
  // Only a name Qubes itself accepts is a qube (it becomes a folder of the destination).
  if (!m || !QUBE_NAME.test(m[1]!)) return undefined;
  return { qube: m[1]!, image: m[2] as 'private' | 'root' };
}

/** What Qubes accepts as a qube's name (qubes/vm/__init__.py validate_name): a letter, then letters, digits, `_.-`; 31 at most. */
const QUBE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,30}$/;

/** The qubes qubes.xml lists (dom0 left out), read from the metadata volume's bytes (a gzip tar). */
export async function qubesFromMetadata(registry: Registry, volume: AsyncIterable<Uint8Array>, what: string, opts: ReadOptions = {}): Promise<VmInfo[]> {
  const tar = registry.get('container', 'tar');
  const gzip = registry.get('compressor', 'gzip');
  for await (const m of tar.entries(gzip.decompress(volume, opts), opts)) {
    const name = m.path.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    if (m.type !== 'file' || (name !== 'qubes.xml' && name !== 'var/lib/qubes/qubes.xml')) continue;
    const xml = await collect(m.body(opts), MAX_METADATA, `${what}: ${name}`);
    try {
      return parseQubesXml(xml).vms.filter((vm) => vm.class !== 'AdminVM');
    } catch (e) {
      throw new CorruptBackupError(`its qubes.xml does not parse: ${(e as Error).message}`, { member: what, cause: e });
    }
  }
  throw new CorruptBackupError('holds no qubes.xml', { member: what });
}
