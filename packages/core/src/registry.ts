import { UnsupportedError, UsageError } from './errors.js';
import type { Backend, Cipher, Compressor, Container, FormatPlugin, Hash, Kdf, Mac, PluginInfo, PluginKind, StreamCipher, BackupInput, FormatContext } from './plugin.js';

/** A plugin descriptor: its info plus a factory. Capabilities are readable without constructing it. */
export type PluginDescriptor<K extends PluginKind = PluginKind> = PluginInfo<K> & { create(): PluginOf<K> };

type PluginOf<K extends PluginKind> = K extends 'format' ? FormatPlugin
  : K extends 'container' ? Container
  : K extends 'cipher' ? Cipher
  : K extends 'mac' ? Mac
  : K extends 'compressor' ? Compressor
  : K extends 'hash' ? Hash
  : K extends 'kdf' ? Kdf
  : K extends 'stream-cipher' ? StreamCipher
  : K extends 'fingerprint' ? Fingerprinter
  : K extends 'source' ? SourcePlugin
  : never;

/**
 * A transport as a plugin: opens a location it claims by URL scheme (`info.name` and `aliases`,
 * without `://`) as a seekable file or a folder, before the local file system is asked. It knows no
 * format: the input it returns is detected like a local one. `ctx` carries the options plugins
 * declare (`--identity FILE`), the environment (credentials, never the command line) and the signal.
 * Not exported (core's surface is capped): name it `ReturnType<PluginDescriptor<'source'>['create']>`.
 * Progress it reports through each call's `onProgress` is bytes received from the network; bytes no
 * call asked for (a handshake, the answers of an RPC that formats reach by other means) go to
 * `ctx.onProgress`, so `info --json`'s `transferred` counts every byte received.
 */
interface SourcePlugin {
  readonly info: PluginInfo<'source'>;
  open(location: string, ctx: Pick<FormatContext, 'settings' | 'host' | 'signal' | 'onProgress'>): Promise<BackupInput>;
}

/**
 * Keyed fingerprints, to tell whether bytes read twice are the bytes read the first time: each
 * `create()` draws a fresh secret key and gives a function from bytes to their digest under it (a
 * universal hash or a PRF: whoever changes the bytes without the key cannot keep their digest). The
 * key never leaves the process and a digest is never stored. `read-twice` is the name formats ask for.
 * Not exported (core's surface is capped): name it `ReturnType<PluginDescriptor<'fingerprint'>['create']>`.
 */
interface Fingerprinter {
  readonly info: PluginInfo<'fingerprint'>;
  create(): (data: Uint8Array) => Uint8Array;
}

interface GetOptions {
  /** Ask for one backend; by default `node` is preferred where the runtime has node:* modules. */
  backend?: Backend;
}

const KIND_LABEL: Record<PluginKind, string> = {
  format: 'backup format',
  container: 'container',
  cipher: 'cipher',
  mac: 'MAC algorithm',
  compressor: 'compression filter',
  hash: 'hash function',
  kdf: 'key derivation function',
  'stream-cipher': 'stream cipher',
  fingerprint: 'fingerprint',
  source: 'source (URL scheme)',
};

const hasNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * The explicit plugin registry. Nothing is scanned: plugins are added with `use` (chainable), and
 * the CLI and library reach every format, container, cipher, MAC and codec only through `get`.
 * A registry freezes on first `get`; `clone()` gives a mutable copy.
 */
export class Registry {
  private readonly plugins: PluginDescriptor[] = [];
  private frozen = false;
  private readonly instances = new Map<PluginDescriptor, unknown>();
  /** Which backend `get` prefers when both exist. */
  readonly preferred: Backend;

  constructor(options: { preferred?: Backend } = {}) {
    this.preferred = options.preferred ?? (hasNode ? 'node' : 'portable');
  }

  use(...descriptors: readonly (PluginDescriptor | readonly PluginDescriptor[])[]): this {
    if (this.frozen) throw new UsageError('registry is frozen (already used); call clone() to change it');
    for (const d of descriptors.flat()) {
      if (d.backend === 'node' && !hasNode) continue;
      for (const n of namesOf(d)) {
        if (this.find(d.kind, n, d.backend)) {
          throw new UsageError(`duplicate ${d.kind} plugin '${n}' for backend ${d.backend}`);
        }
      }
      this.plugins.push(d);
    }
    return this;
  }

  clone(options: { preferred?: Backend } = {}): Registry {
    const r = new Registry({ preferred: options.preferred ?? this.preferred });
    r.plugins.push(...this.plugins);
    return r;
  }

  /** Removes every plugin of a kind and name (all backends); for tests and for users who opt out. */
  remove(kind: PluginKind, name: string): this {
    if (this.frozen) throw new UsageError('registry is frozen (already used); call clone() to change it');
    for (let i = this.plugins.length - 1; i >= 0; i--) {
      const d = this.plugins[i]!;
      if (d.kind === kind && namesOf(d).includes(name.toLowerCase())) this.plugins.splice(i, 1);
    }
    return this;
  }

  has(kind: PluginKind, name: string, options: GetOptions = {}): boolean {
    return this.pick(kind, name, options) !== undefined;
  }

  /** The plugin for a kind and name (case-insensitive, aliases included); UnsupportedError when none. */
  get<K extends PluginKind>(kind: K, name: string, options: GetOptions = {}): PluginOf<K> {
    this.frozen = true;
    const d = this.pick(kind, name, options);
    if (!d) {
      const known = this.list(kind).map((p) => p.name);
      throw new UnsupportedError(
        `no ${options.backend ?? ''}${options.backend ? ' ' : ''}plugin for ${KIND_LABEL[kind]} '${name}'` +
          (known.length ? ` (known: ${[...new Set(known)].join(', ')})` : ''),
      );
    }
    let inst = this.instances.get(d);
    if (inst === undefined) { inst = d.create(); this.instances.set(d, inst); }
    return inst as PluginOf<K>;
  }

  /** Descriptors of a kind, in registration order. */
  list<K extends PluginKind>(kind: K): PluginDescriptor<K>[] {
    return this.plugins.filter((p): p is PluginDescriptor<K> => p.kind === kind);
  }

  /**
   * The first registered format that recognizes `input` (`head`: a file's first bytes), or
   * undefined. Formats are asked in registration order; nothing here knows one.
   */
  async detect(input: BackupInput, head?: Uint8Array): Promise<FormatPlugin | undefined> {
    for (const name of new Set(this.list('format').map((d) => d.name))) {
      const format = this.get('format', name);
      if (await format.detect(input, { registry: this, ...(head ? { head } : {}) })) return format;
    }
    return undefined;
  }

  private pick(kind: PluginKind, name: string, options: GetOptions): PluginDescriptor | undefined {
    if (options.backend) return this.find(kind, name, options.backend);
    const other: Backend = this.preferred === 'node' ? 'portable' : 'node';
    return this.find(kind, name, this.preferred) ?? this.find(kind, name, other);
  }

  private find(kind: PluginKind, name: string, backend: Backend): PluginDescriptor | undefined {
    const n = name.toLowerCase();
    return this.plugins.find((p) => p.kind === kind && p.backend === backend && namesOf(p).includes(n));
  }
}

function namesOf(d: PluginInfo): string[] {
  return [d.name, ...(d.aliases ?? [])].map((s) => s.toLowerCase());
}
