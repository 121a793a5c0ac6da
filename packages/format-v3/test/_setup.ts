// Test wiring: a registry with the real sibling parts (whatever descriptors each package exports)
// and the restore library's own open/run/sink, so the whole path is exercised.
import { Registry, type PluginDescriptor } from '@qubes-backup/core';
import * as tar from '@qubes-backup/tar';
import * as openssl from '@qubes-backup/cipher-openssl';
import * as hmac from '@qubes-backup/mac-hmac';
import * as gzip from '@qubes-backup/codec-gzip';
import * as bzip2 from '@qubes-backup/codec-bzip2';
import * as xz from '@qubes-backup/codec-xz';
import * as zstd from '@qubes-backup/codec-zstd';
import * as none from '@qubes-backup/codec-none';

export { openBackup } from '../../restore/src/open.js';
export { runArchives } from '../../restore/src/run.js';
export { directorySink, nullSink } from '../../restore/src/sink.js';

function isDescriptor(v: unknown): v is PluginDescriptor {
  return typeof v === 'object' && v !== null && typeof (v as PluginDescriptor).create === 'function'
    && typeof (v as PluginDescriptor).kind === 'string' && typeof (v as PluginDescriptor).name === 'string';
}

/** Every plugin descriptor the part packages export (first one wins per kind, name and backend). */
export function partDescriptors(): PluginDescriptor[] {
  const out: PluginDescriptor[] = [];
  const seen = new Set<string>();
  for (const ns of [tar, openssl, hmac, gzip, bzip2, xz, zstd, none] as Record<string, unknown>[]) {
    for (const v of Object.values(ns)) {
      for (const d of Array.isArray(v) ? v : [v]) {
        if (!isDescriptor(d) || d.kind === 'format') continue;
        const key = `${d.kind}/${d.name}/${d.backend}`.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(d);
      }
    }
  }
  return out;
}

export function registryWith(...formats: PluginDescriptor<'format'>[]): Registry {
  return new Registry().use(partDescriptors(), formats);
}
