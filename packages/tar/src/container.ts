import {
  CorruptBackupError, type ByteSource, type ByteStream, type Container, type Member,
  type PluginDescriptor,
} from '@qubes-backup/core';
import { Input, sourceOptions } from './_input.js';
import { TarReader } from './reader.js';

function isByteSource(s: ByteSource | ByteStream): s is ByteSource {
  return typeof (s as ByteSource).stream === 'function';
}

type ContainerOptions = NonNullable<Parameters<Container['entries']>[1]>;

/**
 * Members of one tar stream. A seekable ByteSource lets skipped bodies of 1 MiB or more be seeked
 * over; a ByteStream is read through.
 */
export async function* tarEntries(source: ByteSource | ByteStream, opts: ContainerOptions = {}): AsyncGenerator<Member> {
  let input: Input;
  if (source !== null && typeof source === 'object' && isByteSource(source)) {
    input = new Input(source, source.stream(0, sourceOptions(opts)), opts);
  } else if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
    input = new Input(undefined, source, opts);
  } else {
    throw new TypeError('source must be a ByteSource or an async iterable of Uint8Array');
  }
  yield* new TarReader(input, opts).members();
}

/**
 * Members of a GNU multi-volume archive (`tar -M`), one stream per volume in order. A member cut
 * at a volume's end continues after the next volume's `M` header, and is seen as one member.
 */
export async function* tarVolumeEntries(volumes: AsyncIterable<ByteStream>, opts: ContainerOptions = {}): AsyncGenerator<Member> {
  if (volumes === null || typeof volumes !== 'object' || !(Symbol.asyncIterator in volumes)) {
    throw new TypeError('volumes must be an async iterable of byte streams');
  }
  const it = volumes[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new CorruptBackupError('multi-volume tar archive has no volumes');
  yield* new TarReader(new Input(undefined, first.value, opts), opts, it).members();
}

/** The tar Container as a plugin (portable: no node:* imports). */
export const tarContainer: PluginDescriptor<'container'> = {
  kind: 'container',
  name: 'tar',
  backend: 'portable',
  create(): Container {
    return {
      info: { kind: 'container', name: 'tar', backend: 'portable' },
      entries: tarEntries,
      volumeEntries: tarVolumeEntries,
    };
  },
};
