import { AuthenticationError, CorruptBackupError, UnsupportedError, type Registry } from '@qubes-backup/core';
import type { KeyMaterial } from './keys.js';
import { bytesToName, field, isMap, unpack } from './msgpack.js';
import { verifyTam, type TamStatus } from './tam.js';

/** An archive as the manifest lists it. */
export interface ManifestEntry {
  readonly name: string;
  readonly id: Uint8Array;
  /** Start time, ISO 8601 UTC as borg stores it (`2024-01-03T00:00:00.000000`). */
  readonly time: string;
}

export interface Manifest {
  readonly version: number;
  /** When the manifest was written (UTC), when it says. */
  readonly timestamp?: string;
  /** In borg's order: by start time, then by name. */
  readonly archives: readonly ManifestEntry[];
  readonly tam: TamStatus;
}

const WHAT = 'manifest';

/**
 * The manifest (`helpers/manifest.py` Manifest.load): version 1 or 2, the archives map, and a TAM
 * that must verify; a manifest without one is accepted only from keys that do not require it
 * (borg < 1.0.9). Mandatory feature flags this reader does not know are refused, as borg does.
 */
export async function parseManifest(registry: Registry, plain: Uint8Array, key: KeyMaterial | undefined, tamRequired: boolean): Promise<Manifest> {
  if (plain.length >= 4 && plain.subarray(0, 4).every((b) => b === 0xc1)) throw new UnsupportedError('unsupported manifest envelope (a newer Borg?)', { member: WHAT });
  const m = unpack(plain, WHAT);
  if (!isMap(m)) throw new CorruptBackupError('the manifest is not a map', { member: WHAT });
  const f = field(m, WHAT);
  const version = f.int('version');
  if (version !== 1 && version !== 2) throw new UnsupportedError(`manifest version ${version} is not supported`, { member: WHAT });
  const tam = await verifyTam(registry, plain, m, key, 'manifest', WHAT);
  if (tam === 'missing' && tamRequired) {
    throw new AuthenticationError('the manifest is unauthenticated (no TAM), but this repository\'s key requires one', { member: WHAT });
  }
  const config = isMap(m['config']) ? m['config'] : {};
  const flags = isMap(config['feature_flags']) && isMap(config['feature_flags']['read']) ? config['feature_flags']['read'] : {};
  const mandatory = flags['mandatory'];
  if (Array.isArray(mandatory) && mandatory.length) {
    throw new UnsupportedError(`the repository needs features this reader lacks: ${mandatory.map((x) => (x instanceof Uint8Array ? bytesToName(x) : String(x))).join(', ')}`, { member: WHAT });
  }
  const archives: ManifestEntry[] = [];
  for (const [name, entry] of Object.entries(f.map('archives'))) {
    if (!isMap(entry)) throw new CorruptBackupError(`archive '${name}' is not a map`, { member: WHAT });
    const e = field(entry, `${WHAT}: archive '${name}'`);
    const id = e.bytes('id');
    if (id.length !== 32) throw new CorruptBackupError(`archive '${name}' has an id of ${id.length} bytes`, { member: WHAT });
    archives.push({ name, id, time: new TextDecoder().decode(e.bytes('time')) });
  }
  archives.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ts = f.optBytes('timestamp');
  return { version, ...(ts ? { timestamp: new TextDecoder().decode(ts) } : {}), archives, tam };
}
